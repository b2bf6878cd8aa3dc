// Layers, fastest first. `npm run test:unit` is the inner loop (no Kamailio, no Terraform);
// `npm test` runs them all after installing the OS tools and Debian roots they need.
const transform = {
  "^.+\\.ts$": [
    "@swc/jest",
    { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
  ],
};
const common = { testEnvironment: "node", transform, setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"] };

module.exports = {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/__tests__/unit/**/*.test.ts"] },
    { ...common, displayName: "tools", testMatch: ["<rootDir>/__tests__/tools/**/*.test.ts"] },
    { ...common, displayName: "sip", testMatch: ["<rootDir>/__tests__/sip/**/*.test.ts"] },
    { ...common, displayName: "boot", testMatch: ["<rootDir>/__tests__/boot/**/*.test.ts"] },
    { ...common, displayName: "terraform", testMatch: ["<rootDir>/__tests__/terraform/**/*.test.ts"] },
    { ...common, displayName: "ops", testMatch: ["<rootDir>/__tests__/ops/**/*.test.ts"] },
    { ...common, displayName: "twin", testMatch: ["<rootDir>/__tests__/twin/**/*.test.ts"] },
    { ...common, displayName: "rehearsal", testMatch: ["<rootDir>/__tests__/rehearsal/**/*.test.ts"] },
  ],
};

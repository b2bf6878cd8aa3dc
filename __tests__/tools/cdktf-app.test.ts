// `cdktf synth|diff|deploy` run main.ts (cdktf.json "app"), not `npm run synth`: on bad input
// it must end the same way, with the problem, exit 1 and no earlier cdk.tf.json left looking
// current. Run for real, in a copy of the project with a bad environment file added.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyProject } from "./tree-copy";

jest.setTimeout(120000);

describe("cdktf's app (main.ts) on bad input", () => {
  const copy = copyProject("cdktf-app-", (file) => /\.(ts|json|hcl)$/.test(file));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));
  const outdir = join(copy, "out");
  const { app } = JSON.parse(readFileSync(join(copy, "cdktf.json"), "utf8")) as { app: string };

  /** Runs the app with an earlier run's output in place, `file` added as an environment file. */
  function runWith(file: string, text: string) {
    for (const stack of ["sip-proxy-dev", "sip-proxy-broken"]) {
      mkdirSync(join(outdir, "stacks", stack), { recursive: true });
      writeFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "{}");
    }
    const added = join(copy, "config", "environments", file);
    writeFileSync(added, text);
    try {
      return spawnSync(app, {
        cwd: copy,
        shell: true,
        encoding: "utf8",
        env: { ...process.env, CDKTF_OUTDIR: outdir },
      });
    } finally {
      rmSync(added);
    }
  }

  it("names an invalid environment's problems, exits 1 and removes every environment's output", () => {
    const result = runWith(
      "broken.ts",
      `import { dev } from "./dev";\nexport const broken = { ...dev, name: "broken", vpcCidr: "10.0.0.0/30" };\n`,
    );
    expect({ status: result.status, trace: /^\s+at /m.test(result.stderr) }).toEqual({ status: 1, trace: false });
    expect(result.stderr).toContain('Environment "broken" has 1 invalid setting');
    expect(result.stderr).toContain("nothing was synthesized");
    expect(existsSync(join(outdir, "stacks", "sip-proxy-dev"))).toBe(false);
    expect(existsSync(join(outdir, "stacks", "sip-proxy-broken"))).toBe(false);
  });

  it("names an environment file it cannot use, without a stack trace", () => {
    const result = runWith(
      "misnamed.ts",
      `import { dev } from "./dev";\nexport const misnamed = { ...dev, name: "other" };\n`,
    );
    expect({ status: result.status, trace: /^\s+at /m.test(result.stderr) }).toEqual({ status: 1, trace: false });
    expect(result.stderr).toContain("config/environments/misnamed.ts");
  });
});

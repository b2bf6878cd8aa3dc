import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";

function synth(environmentsModule: string, outdir: string) {
  return spawnSync("npx", ["tsx", "scripts/synth.ts", "--environments", environmentsModule, "--outdir", outdir], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
}

describe("npm run synth", () => {
  const outdir = mkdtempSync(join(tmpdir(), "synth-command-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("writes one stack per environment and reports it", () => {
    const result = synth("__tests__/fixtures/good-environments.ts", outdir);
    expect(result.status).toBe(0);
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(["sip-proxy-broken", "sip-proxy-test"]);
    expect(result.stdout).toMatch(
      /synthesized sip-proxy-test \(single, \d+ resources\) -> .*sip-proxy-test\/cdk\.tf\.json/,
    );
  });

  it("exits non-zero on a bad environment, names the problems and leaves no output for it", () => {
    const result = synth("__tests__/fixtures/bad-environments.ts", outdir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Environment "broken" has');
    expect(result.stderr).toContain("additionalSourceCidrs[0]");
    expect(result.stderr).toContain("vpcCidr");
    expect(result.stderr).toContain("nothing was synthesized");
    // The stale copy from the previous run is gone, so it cannot be deployed by mistake.
    expect(existsSync(join(outdir, "stacks", "sip-proxy-broken"))).toBe(false);
  });
});

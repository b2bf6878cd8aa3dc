import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";

function synth(environmentsModule: string, outdir: string, extra: string[] = []) {
  return spawnSync(
    "npx",
    ["tsx", "scripts/synth.ts", "--environments", environmentsModule, "--outdir", outdir, ...extra],
    {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    },
  );
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
    // No copy from the previous run is left looking current, the valid environment's included.
    expect(existsSync(join(outdir, "stacks", "sip-proxy-broken"))).toBe(false);
    expect(existsSync(join(outdir, "stacks", "sip-proxy-test"))).toBe(false);
  });

  it("keeps, with a warning, the folder of an environment that no longer exists, and deletes it only with --prune", () => {
    const dir = mkdtempSync(join(tmpdir(), "synth-orphan-"));
    try {
      mkdirSync(join(dir, "stacks", "sip-proxy-retired"), { recursive: true });
      writeFileSync(join(dir, "stacks", "sip-proxy-retired", "cdk.tf.json"), "{}");
      const kept = synth("__tests__/fixtures/good-environments.ts", dir);
      expect(kept.status).toBe(0);
      expect(kept.stderr).toMatch(/warning: .*sip-proxy-retired belongs to no configured environment/);
      expect(existsSync(join(dir, "stacks", "sip-proxy-retired", "cdk.tf.json"))).toBe(true);
      const pruned = synth("__tests__/fixtures/good-environments.ts", dir, ["--prune"]);
      expect(pruned.status).toBe(0);
      expect(pruned.stdout).toMatch(/pruned .*sip-proxy-retired/);
      expect(readdirSync(join(dir, "stacks")).sort()).toEqual(["sip-proxy-broken", "sip-proxy-test"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

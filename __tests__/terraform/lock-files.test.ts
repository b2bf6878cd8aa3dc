// The committed provider lock files: what Terraform generates from the provider mirror, and
// installed next to every synthesized stack so cdktf never runs `terraform providers lock`.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../../config/environments";
import { stackNameFor } from "../../config/names";
import { buildApp } from "../../main";
import { installLockFiles, lockFileFor } from "../../stacks/lock-files";
import { synthesizeChecked } from "../../stacks/policy";
import { PROVIDER_MIRROR, terraform, terraformEnv } from "../../scripts/lib/terraform";
import { requireTool } from "../tools/require-tool";

jest.setTimeout(120_000);

describe("provider lock files", () => {
  const outdir = mkdtempSync(join(tmpdir(), "lock-files-"));
  const { app, configs } = buildApp(environments, outdir);
  synthesizeChecked(app);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it.each(environments.map((e) => stackNameFor(e.name)))("%s: committed lock equals what the mirror gives", (stack) => {
    requireTool("terraform");
    if (!existsSync(PROVIDER_MIRROR)) {
      throw new Error(
        `no provider mirror at ${PROVIDER_MIRROR}: set SIP_PROXY_PROVIDER_MIRROR (see README "Provider lock files")`,
      );
    }
    const dir = join(outdir, "regenerate", stack);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), join(dir, "cdk.tf.json"));
    const result = terraform(
      ["providers", "lock", `-fs-mirror=${PROVIDER_MIRROR}`, "-platform=linux_amd64", "-no-color"],
      dir,
      terraformEnv(),
    );
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
    expect(readFileSync(lockFileFor(stack), "utf8")).toBe(readFileSync(join(dir, ".terraform.lock.hcl"), "utf8"));
  });

  it("puts each stack's lock next to its cdk.tf.json, locking the provider version the stack requires", () => {
    expect(
      installLockFiles(
        outdir,
        configs.map((c) => c.stackName),
      ),
    ).toEqual([]);
    for (const cfg of configs) {
      const json = JSON.parse(readFileSync(join(outdir, "stacks", cfg.stackName, "cdk.tf.json"), "utf8"));
      const version = json.terraform.required_providers.aws.version as string;
      const lock = readFileSync(join(outdir, "stacks", cfg.stackName, ".terraform.lock.hcl"), "utf8");
      expect(lock).toContain(`version     = "${version}"`);
    }
  });
});

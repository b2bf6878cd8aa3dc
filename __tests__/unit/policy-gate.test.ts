// The policy gate cannot be switched off: cdktf skips its own check of error annotations when
// CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS is set, and this project's synth must not.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Aspects, TerraformStack } from "cdktf";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { PolicyChecks, PolicyViolationError, synthesizeChecked } from "../../stacks/policy";
import { recheckStackJson } from "../../scripts/lib/gate";
import { writeFileSync } from "node:fs";
import { environments } from "../../config/environments";
import { buildApp } from "../../main";

const TAGS = { Project: "sip-proxy", Environment: "test", ManagedBy: "cdktf" };

/** A stack whose launch template allows IMDSv1, synthesized with synthesizeChecked. */
function synthImdsV1(env: Record<string, string>): { error: unknown; stackWritten: boolean } {
  const outdir = mkdtempSync(join(tmpdir(), "policy-gate-"));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "gate-test");
    new AwsProvider(stack, "aws", { region: "us-east-1", defaultTags: [{ tags: TAGS }] });
    Aspects.of(stack).add(new PolicyChecks({ sipPorts: [5060] }));
    new LaunchTemplate(stack, "lt", {
      metadataOptions: { httpTokens: "optional" },
      tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
        resourceType,
        tags: TAGS,
      })),
    });
    let error: unknown;
    try {
      synthesizeChecked(app);
    } catch (e) {
      error = e;
    }
    return { error, stackWritten: existsSync(join(outdir, "stacks", "gate-test", "cdk.tf.json")) };
  } finally {
    process.env = saved;
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("the policy gate", () => {
  it.each<Record<string, string>>([
    {},
    { CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true" },
    { CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "false" },
  ])("stops a violating stack and leaves no output for it (env %p)", (env) => {
    const { error, stackWritten } = synthImdsV1(env);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect((error as PolicyViolationError).violations.map((v) => v.rule)).toEqual(["imdsv2"]);
    expect(stackWritten).toBe(false);
  });

  it("never tells the operator how to bypass it", () => {
    const { error } = synthImdsV1({ CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true" });
    expect((error as Error).message).not.toMatch(/CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS|ignore these annotations/);
  });
});

describe("the diff wrapper's re-check of the JSON it is about to plan", () => {
  it("accepts what the code synthesizes and refuses an IMDSv1 edit of it", () => {
    const outdir = mkdtempSync(join(tmpdir(), "gate-json-"));
    try {
      synthesizeChecked(
        buildApp(
          environments.filter((e) => e.name === "dev"),
          outdir,
        ).app,
      );
      const file = join(outdir, "stacks", "sip-proxy-dev", "cdk.tf.json");
      expect(recheckStackJson("dev", file)).toBeUndefined();
      const json = JSON.parse(readFileSync(file, "utf8"));
      const template = Object.values(json.resource.aws_launch_template)[0] as {
        metadata_options: { http_tokens: string };
      };
      template.metadata_options.http_tokens = "optional";
      writeFileSync(file, JSON.stringify(json));
      expect(recheckStackJson("dev", file)).toMatch(/is not what the code synthesizes now/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

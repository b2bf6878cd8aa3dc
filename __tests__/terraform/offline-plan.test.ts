import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../../config/environments";
import { buildApp } from "../../main";
import { resourceAddresses, type StackJson } from "../../scripts/lib/stack-json";
import { OFFLINE_AWS_ENV, initOffline, offlineWorkdir, terraform, terraformEnv } from "../../scripts/lib/terraform";
import { contrastingInput, tlsInput } from "../fixtures/environments";
import { requireTool } from "../tools/require-tool";

// Every shipped environment plus a fixture that exercises the S3 backend, SSH rule and a
// second region. Real Terraform, real provider schema (from the mirror), no AWS account.
const outdir = mkdtempSync(join(tmpdir(), "tf-offline-"));
const { app, configs } = buildApp([...environments, contrastingInput, tlsInput], outdir);
app.synth();

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("Terraform, offline", () => {
  const env = terraformEnv(OFFLINE_AWS_ENV);
  beforeAll(() => requireTool("terraform"));

  describe.each(configs.map((c) => [c.stackName]))("%s", (stackName) => {
    let dir = "";

    beforeAll(() => {
      dir = offlineWorkdir(stackName, "test-plan", join(outdir, "stacks"));
      const init = initOffline(dir, env);
      if (init.status !== 0) throw new Error(`terraform init failed:\n${init.stdout}${init.stderr}`);
    }, 120000);

    it("passes terraform validate", () => {
      const result = terraform(["validate", "-no-color", "-json"], dir, env);
      const report = JSON.parse(result.stdout) as { valid: boolean; diagnostics: unknown[] };
      expect({ valid: report.valid, diagnostics: report.diagnostics }).toEqual({ valid: true, diagnostics: [] });
    });

    it("plans successfully with mock credentials, creating every synthesized resource", () => {
      const stack = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as StackJson;
      // Resources with a `count` are off under default variables (the pager subscription).
      const counted = Object.values(stack.resource ?? {})
        .flatMap((byName) => Object.values(byName))
        .filter((r) => "count" in r);
      const count = resourceAddresses(stack).length - counted.length;
      const result = terraform(["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color"], dir, env);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
      expect(result.stdout).toContain(`Plan: ${count} to add, 0 to change, 0 to destroy.`);
    }, 120000);
  });
});

describe("the paging endpoint variable", () => {
  const env = terraformEnv(OFFLINE_AWS_ENV);
  const secret = "https://events.example.com/integration/test-secret-0123/enqueue";

  it("adds the HTTPS subscription when set at deploy time and never prints the endpoint", () => {
    requireTool("terraform");
    const dir = offlineWorkdir("sip-proxy-dev", "test-pager", join(outdir, "stacks"));
    const init = initOffline(dir, env);
    expect(init.status).toBe(0);
    const withPager = terraform(["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color"], dir, {
      ...env,
      TF_VAR_critical_alerts_https_endpoint: secret,
    });
    expect(withPager.status).toBe(0);
    expect(withPager.stdout).toContain("aws_sns_topic_subscription.monitoring_critical_https will be created");
    expect(withPager.stdout).toMatch(/endpoint\s+= \(sensitive value\)/);
    expect(withPager.stdout + withPager.stderr).not.toContain("test-secret-0123");
  }, 120000);

  it("stops a deploy without the endpoint with Terraform's missing-variable error", () => {
    requireTool("terraform");
    const dir = offlineWorkdir("sip-proxy-prod", "test-pager-missing", join(outdir, "stacks"));
    expect(initOffline(dir, env).status).toBe(0);
    const withoutPager = { ...env };
    delete withoutPager.TF_VAR_critical_alerts_https_endpoint;
    const plan = terraform(["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color"], dir, withoutPager);
    expect(plan.status).toBe(1);
    expect(plan.stderr).toContain("No value for required variable");
    expect(plan.stderr).toContain("critical_alerts_https_endpoint");
  }, 120000);
});

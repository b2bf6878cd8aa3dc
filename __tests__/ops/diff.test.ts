import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../../config/environments";
import { buildApp } from "../../main";
import { ADDRESS_LOSS_EXIT, lossesInPlan } from "../../scripts/lib/address-guard";
import {
  planLine,
  pullRequestComment,
  renderMarkdown,
  summarizePlan,
  warnings,
  type PlanJson,
} from "../../scripts/lib/plan-summary";
import {
  OFFLINE_AWS_ENV,
  PROJECT_ROOT,
  initOffline,
  offlineWorkdir,
  terraform,
  terraformEnv,
} from "../../scripts/lib/terraform";
import { requireTool } from "../tools/require-tool";

const fixture = JSON.parse(readFileSync(join(__dirname, "../fixtures/plan-mixed.json"), "utf8")) as PlanJson;

describe("plan summary (fixture plan)", () => {
  const summary = summarizePlan(fixture);

  it("counts like Terraform: a replacement is one add and one destroy; no-ops, reads and forgets are not", () => {
    expect(planLine(summary)).toBe("Plan: 3 to add, 1 to change, 3 to destroy, 1 to forget.");
  });

  it("has one loud line per replaced or destroyed resource, addressable ones first with what they cost", () => {
    expect(warnings(summary)).toEqual([
      expect.stringMatching(
        /^:rotating_light: \*\*`aws_nat_gateway\.vpc_nat_us_east_1a_gateway` will be REPLACED\*\* \(forced by `subnet_id`\): egress moves/,
      ),
      expect.stringMatching(
        /^:rotating_light: \*\*`aws_eip\.vpc_nat_us_east_1b` will be DESTROYED\*\*: its public IP is released/,
      ),
      ":rotating_light: **`aws_instance.proxy` will be REPLACED** (forced by `launch_template[0].version`)",
    ]);
  });

  it("lists a moved resource without counting it", () => {
    const markdown = renderMarkdown("sip-proxy-dev", summary);
    expect(markdown).toContain("| `moved` | `aws_eip.proxy_public` (moved from `aws_eip.proxy_ingress`) |");
    expect(markdown).not.toContain("aws_caller_identity");
    expect(markdown.split("\n")[0]).toBe("<!-- sip-proxy-diff:sip-proxy-dev -->");
  });

  it("says so when nothing is lost", () => {
    const calm = summarizePlan({
      resource_changes: fixture.resource_changes!.filter(
        (r) => r.change.actions[0] !== "delete" && r.change.actions[0] !== "create",
      ),
    });
    expect(warnings(calm)).toEqual([]);
    expect(renderMarkdown("sip-proxy-dev", calm)).toContain("No resource is replaced or destroyed.");
  });
});

describe("plan summary (real Terraform plan, offline)", () => {
  const env = terraformEnv(OFFLINE_AWS_ENV);
  const outdir = mkdtempSync(join(tmpdir(), "diff-summary-"));
  beforeAll(() => requireTool("terraform"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("shouts for every resource Terraform would replace or destroy, and says what a lost Elastic IP costs", () => {
    buildApp(
      environments.filter((e) => e.name === "dev"),
      outdir,
    ).app.synth();
    const dir = offlineWorkdir("sip-proxy-dev", "test-diff", join(outdir, "stacks"));
    expect(initOffline(dir, env).status).toBe(0);
    // Prior state as if deployed: a VPC with another CIDR (which forces a new VPC) and an
    // Elastic IP the code no longer declares.
    const state = {
      version: 4,
      terraform_version: "1.11.4",
      serial: 1,
      lineage: "4f1c2a3e-0000-4000-8000-000000000000",
      outputs: {},
      resources: [
        {
          mode: "managed",
          type: "aws_vpc",
          name: "vpc",
          provider: 'provider["registry.terraform.io/hashicorp/aws"]',
          instances: [
            {
              schema_version: 1,
              attributes: { id: "vpc-0a1b2c3d", cidr_block: "10.9.0.0/16", instance_tenancy: "default" },
            },
          ],
        },
        {
          mode: "managed",
          type: "aws_eip",
          name: "retired",
          provider: 'provider["registry.terraform.io/hashicorp/aws"]',
          instances: [
            { schema_version: 0, attributes: { id: "eipalloc-0f0f", domain: "vpc", public_ip: "198.51.100.8" } },
          ],
        },
      ],
    };
    writeFileSync(join(dir, "offline.tfstate"), JSON.stringify(state));

    const plan = terraform(
      ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-out=t.tfplan"],
      dir,
      env,
    );
    expect(plan.stderr).toBe("");
    const planJson = JSON.parse(terraform(["show", "-json", "t.tfplan"], dir, env).stdout) as PlanJson;
    const summary = summarizePlan(planJson);

    // The same counts Terraform prints itself.
    expect(plan.stdout).toContain(planLine(summary));
    expect(summary.destroy).toBe(2);
    expect(warnings(summary)).toEqual([
      ":rotating_light: **`aws_eip.retired` will be DESTROYED**: its public IP is released for good; any new Elastic IP has another address, so TwiML and the destination's IP ACL must change",
      ":rotating_light: **`aws_vpc.vpc` will be REPLACED** (forced by `cidr_block`)",
    ]);
    // The Elastic IP guard refuses it unless the environment allows it, and says so on top.
    const losses = lossesInPlan("sip-proxy-dev", summary.changes);
    expect(losses).toEqual([{ stack: "sip-proxy-dev", address: "aws_eip.retired", action: "destroyed" }]);
    const dev = { name: "dev", file: "config/environments/dev.ts", allowElasticIpDestroy: false };
    const refused = pullRequestComment("sip-proxy-dev", planJson, dev, plan.stdout);
    expect(refused.exitCode).toBe(ADDRESS_LOSS_EXIT);
    expect(refused.refusal).toContain("  - environment dev (sip-proxy-dev): aws_eip.retired would be destroyed");
    expect(refused.markdown.split("\n").slice(3, 5)).toEqual([":no_entry: **This change is refused.**", ""]);
    const allowed = pullRequestComment("sip-proxy-dev", planJson, { ...dev, allowElasticIpDestroy: true });
    expect({ exitCode: allowed.exitCode, refusal: allowed.refusal }).toEqual({ exitCode: 0, refusal: undefined });
  }, 120000);

  it("npm run diff -- dev --summary --offline writes the comment for a fresh stack", () => {
    const file = join(outdir, "summary.md");
    const run = spawnSync("npx", ["tsx", "scripts/diff.ts", "dev", "--summary", file, "--offline"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    expect({ status: run.status, stderr: run.stderr.replace(/^npm warn .*\n/gm, "") }).toEqual({
      status: 0,
      stderr: "",
    });
    const markdown = readFileSync(file, "utf8");
    // The heading repeats Terraform's own plan line, which the comment also carries in full.
    const terraformsLine = /^Plan: \d+ to add, 0 to change, 0 to destroy\.$/m.exec(markdown)?.[0];
    expect(terraformsLine).toBeDefined();
    expect(markdown.split("\n")[1]).toBe(`### \`sip-proxy-dev\`: ${terraformsLine}`);
    expect(markdown).toContain("| `+` | `aws_eip.proxy_ingress` |");
    expect(markdown).toContain("<details><summary>terraform plan</summary>");
    expect(markdown).toContain("# aws_eip.proxy_ingress will be created");
  }, 120000);

  it("npm run diff rejects an unknown environment, naming the known ones", () => {
    const run = spawnSync("npx", ["tsx", "scripts/diff.ts", "qa"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `npm run diff: unknown environment "qa"; known: ${environments.map((e) => e.name).join(", ")} (see --help)`,
    );
  }, 30000);
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTerraformGraph, simplify } from "../../scripts/lib/diagram";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";
import { requireTool } from "../tools/require-tool";

describe("diagram filtering", () => {
  // Shaped like `terraform graph` output: edges that another path implies are left out, so
  // the association reaches its Elastic IP only through the instance's launch template.
  const graph = parseTerraformGraph(`digraph G {
  rankdir = "RL";
  "aws_eip.ip" [label="aws_eip.ip"];
  "aws_eip_association.assoc" -> "aws_instance.vm";
  "aws_instance.vm" -> "aws_launch_template.lt";
  "aws_launch_template.lt" -> "aws_eip.ip";
  "aws_launch_template.lt" -> "aws_iam_instance_profile.profile";
  "aws_iam_instance_profile.profile" -> "aws_iam_role.role";
  "aws_iam_role_policy_attachment.ssm" -> "aws_iam_role.role";
  "aws_route_table_association.a" -> "aws_route_table.rt";
  "aws_route_table_association.a" -> "aws_subnet.s";
  "aws_instance.vm" -> "aws_subnet.s";
}`);
  const picture = simplify(graph);

  it("keeps the resources and draws glue resources as edges", () => {
    expect(picture.nodes).toEqual([
      "aws_eip.ip",
      "aws_iam_role.role",
      "aws_instance.vm",
      "aws_launch_template.lt",
      "aws_route_table.rt",
      "aws_subnet.s",
    ]);
    expect(picture.edges).toEqual(
      expect.arrayContaining([
        ["aws_instance.vm", "aws_eip.ip"], // the association
        ["aws_subnet.s", "aws_route_table.rt"], // the route table association
        ["aws_launch_template.lt", "aws_iam_role.role"], // through the instance profile
      ]),
    );
    expect(picture.edges).toHaveLength(6);
  });
});

describe("npm run diagram -- <env> --graph (the reviewer's view)", () => {
  const outdir = mkdtempSync(join(tmpdir(), "diagram-"));
  beforeAll(() => {
    requireTool("terraform");
    requireTool("dot");
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const draw = (env: string) => {
    const svg = join(outdir, `${env}.svg`);
    const run = spawnSync("npx", ["tsx", "scripts/diagram.ts", env, "--graph", "--out", svg], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    expect(run.stderr.replace(/^npm warn .*\n/gm, "")).toBe("");
    expect(run.status).toBe(0);
    return { svg: readFileSync(svg, "utf8"), png: readFileSync(join(outdir, `${env}.png`)) };
  };
  const edge = (from: string, to: string) => `<title>${from}&#45;&gt;${to}</title>`;

  it("draws the single architecture: the Elastic IP on the instance, no glue nodes", () => {
    const { svg, png } = draw("dev");
    expect(svg).toMatch(/^<\?xml/);
    for (const node of [
      "aws_eip.proxy_ingress",
      "aws_instance.proxy",
      "aws_launch_template.proxy_template",
      "aws_vpc.vpc",
    ]) {
      expect(svg).toContain(`<title>${node}</title>`);
    }
    expect(svg).toContain(edge("aws_eip.proxy_ingress", "aws_instance.proxy"));
    expect(svg).not.toMatch(/aws_route_table_association|aws_iam_role_policy_attachment|aws_eip_association/);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  }, 120000);

  it("draws the load-balanced architecture: NLB with its Elastic IP, NAT egress, Auto Scaling Group", () => {
    const { svg } = draw("staging");
    for (const node of [
      "aws_lb.proxy_nlb",
      "aws_autoscaling_group.proxy",
      "aws_eip.proxy_nlb_us_east_1a",
      "aws_nat_gateway.vpc_nat_us_east_1a_gateway",
    ]) {
      expect(svg).toContain(`<title>${node}</title>`);
    }
    expect(svg).toContain(edge("aws_eip.proxy_nlb_us_east_1a", "aws_lb.proxy_nlb"));
    expect(svg).toContain(edge("aws_eip.vpc_nat_us_east_1a", "aws_nat_gateway.vpc_nat_us_east_1a_gateway"));
    expect(svg).toContain(edge("aws_lb_target_group.proxy_targets", "aws_autoscaling_group.proxy"));
  }, 120000);
});

describe("npm run diagram (the network picture)", () => {
  const outdir = mkdtempSync(join(tmpdir(), "network-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("writes the environment's picture, the same bytes as the committed one", () => {
    const svg = join(outdir, "dev.svg");
    const run = spawnSync("npx", ["tsx", "scripts/diagram.ts", "dev", "--out", svg], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    expect(run.stderr.replace(/^npm warn .*\n/gm, "")).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^sip-proxy-dev: 1 zone, 1 to dial, 1 to whitelist -> /);
    expect(readFileSync(svg, "utf8")).toBe(readFileSync(join(PROJECT_ROOT, "docs", "network-dev.svg"), "utf8"));
  }, 120000);

  it("refuses --out with more than one environment", () => {
    const run = spawnSync("npx", ["tsx", "scripts/diagram.ts", "dev", "prod", "--out", join(outdir, "x.svg")], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--out writes one picture: name one environment/);
  }, 120000);
});

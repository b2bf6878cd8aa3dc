// The pull-request summary refuses a plan that loses an Elastic IP (a removed zone takes its
// addresses, and their prevent_destroy, out of the code), unless the environment allows it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { environmentFiles } from "../../config/environments";
import { ADDRESS_LOSS_EXIT, type StackEnvironment } from "../../scripts/lib/address-guard";
import { pullRequestComment, type PlanJson } from "../../scripts/lib/plan-summary";

const fixture = JSON.parse(readFileSync(join(__dirname, "../fixtures/plan-mixed.json"), "utf8")) as PlanJson;

/** prod as its file declares it (allowElasticIpDestroy unset, so false), and with it set. */
const prodFile = environmentFiles.find((e) => e.input.name === "prod")!;
const prod: StackEnvironment = {
  name: "prod",
  file: prodFile.file,
  allowElasticIpDestroy: prodFile.input.allowElasticIpDestroy === true,
};
const prodAllowing: StackEnvironment = { ...prod, allowElasticIpDestroy: true };

const change = (address: string, actions: string[], extra: Record<string, unknown> = {}) => ({
  address,
  type: address.split(".")[0],
  mode: "managed",
  change: { actions },
  ...extra,
});

/** What Terraform plans when us-east-1c leaves prod's availabilityZones. */
const zoneRemoved: PlanJson = {
  resource_changes: [
    change("aws_eip.proxy_nlb_us_east_1c", ["delete"], { action_reason: "delete_because_no_resource_config" }),
    change("aws_eip.vpc_nat_us_east_1c", ["delete"], { action_reason: "delete_because_no_resource_config" }),
    change("aws_nat_gateway.vpc_nat_us_east_1c_gateway", ["delete"]),
    change("aws_subnet.vpc_public_us_east_1c", ["delete"]),
  ],
};

describe("the pull-request summary's Elastic IP guard", () => {
  it("refuses a removed zone's Elastic IPs, naming each address, the environment and how to allow it", () => {
    expect(prod.file).toBe("config/environments/prod.ts");
    expect(prod.allowElasticIpDestroy).toBe(false);
    const comment = pullRequestComment("sip-proxy-prod", zoneRemoved, prod);
    expect(comment.exitCode).toBe(ADDRESS_LOSS_EXIT);
    expect(comment.refusal?.split("\n")).toEqual([
      "refused: 2 Elastic IPs would be lost, and with them the addresses Twilio dials or the destination whitelists:",
      "  - environment prod (sip-proxy-prod): aws_eip.proxy_nlb_us_east_1c would be destroyed",
      "  - environment prod (sip-proxy-prod): aws_eip.vpc_nat_us_east_1c would be destroyed",
      "If this is meant (a zone retired, with Twilio and the destination told), set allowElasticIpDestroy: true in config/environments/prod.ts for this change, and set it back after the deploy.",
    ]);
    // The refusal comes first; the rest of the report follows unchanged.
    const lines = comment.markdown.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "<!-- sip-proxy-diff:sip-proxy-prod -->",
      "### `sip-proxy-prod`: Plan: 0 to add, 0 to change, 4 to destroy.",
      "",
      ":no_entry: **This change is refused.**",
      "",
    ]);
    expect(comment.markdown).toContain(comment.refusal);
    expect(comment.markdown).toMatch(/^:rotating_light: \*\*`aws_eip\.proxy_nlb_us_east_1c` will be DESTROYED\*\*/m);
    expect(comment.markdown).toContain("| `-` | `aws_subnet.vpc_public_us_east_1c` |");
  });

  it("lets the same plan through when the environment sets allowElasticIpDestroy, still shouting", () => {
    const comment = pullRequestComment("sip-proxy-prod", zoneRemoved, prodAllowing);
    expect(comment.exitCode).toBe(0);
    expect(comment.refusal).toBeUndefined();
    expect(comment.markdown).not.toContain("refused");
    expect(comment.markdown).toMatch(/^:rotating_light: \*\*`aws_eip\.vpc_nat_us_east_1c` will be DESTROYED\*\*/m);
  });

  it("refuses a replaced Elastic IP too, and the fixture plan's destroyed one", () => {
    const replaced = pullRequestComment(
      "sip-proxy-prod",
      { resource_changes: [change("aws_eip.proxy_nlb_us_east_1a", ["create", "delete"])] },
      prod,
    );
    expect(replaced.exitCode).toBe(ADDRESS_LOSS_EXIT);
    expect(replaced.refusal).toContain(
      "  - environment prod (sip-proxy-prod): aws_eip.proxy_nlb_us_east_1a would be replaced",
    );

    const mixed = pullRequestComment("sip-proxy-prod", fixture, prod);
    expect(mixed.exitCode).toBe(ADDRESS_LOSS_EXIT);
    // Only the Elastic IP: the replaced NAT gateway and instance keep or move no address.
    expect(mixed.refusal?.split("\n").filter((l) => l.startsWith("  - "))).toEqual([
      "  - environment prod (sip-proxy-prod): aws_eip.vpc_nat_us_east_1b would be destroyed",
    ]);
    expect(pullRequestComment("sip-proxy-prod", fixture, prodAllowing).exitCode).toBe(0);
  });

  it("passes plans that keep every Elastic IP: created, moved, forgotten, or other resources replaced", () => {
    const keeps: PlanJson = {
      resource_changes: [
        change("aws_eip.proxy_nlb_us_east_1d", ["create"]),
        change("aws_eip.proxy_public", ["no-op"], { previous_address: "aws_eip.proxy_ingress" }),
        change("aws_eip.retired", ["forget"]),
        change("aws_eip_association.proxy_ingress_association", ["delete", "create"]),
        change("aws_nat_gateway.vpc_nat_us_east_1a_gateway", ["create", "delete"]),
      ],
    };
    const comment = pullRequestComment("sip-proxy-prod", keeps, prod);
    expect({ exitCode: comment.exitCode, refusal: comment.refusal }).toEqual({ exitCode: 0, refusal: undefined });
  });
});

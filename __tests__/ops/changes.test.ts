import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { environmentFiles } from "../../config/environments";
import { stackNameFor } from "../../config/names";
import type { EnvironmentInput } from "../../config/schema";
import { lossesInChanges, refusedLosses, type StackEnvironment } from "../../scripts/lib/address-guard";
import { diffStacks, formatChanges, hasDanger, type StackChanges } from "../../scripts/lib/stack-diff";
import { synthesizeToMemory, type StackJson } from "../../scripts/lib/stack-json";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";
import { loadBalancedInput, validInput } from "../fixtures/environments";

function changesBetween(base: EnvironmentInput, head: EnvironmentInput): StackChanges {
  const [changes] = diffStacks(synthesizeToMemory([base]), synthesizeToMemory([head]));
  return changes;
}

/** What renaming a construct id does to the synthesized JSON: a new address, references follow. */
function renamed(stack: StackJson, type: string, from: string, to: string): StackJson {
  const text = JSON.stringify(stack).split(`${type}.${from}.`).join(`${type}.${to}.`);
  const copy = JSON.parse(text) as { resource: Record<string, Record<string, unknown>> };
  const { [from]: moved, ...others } = copy.resource[type];
  copy.resource[type] = { ...others, [to]: moved };
  return copy as StackJson;
}

const byAddress = (s: StackChanges, address: string) => s.resources.find((r) => r.address === address);

describe("changes between two revisions", () => {
  const single = synthesizeToMemory([validInput]).get("test")!;

  it("shows an added resource as an add", () => {
    const changes = changesBetween(validInput, {
      ...validInput,
      dns: { name: "sip.example.com", hostedZoneId: "Z0ABC" },
    });
    expect(byAddress(changes, "aws_route53_record.dns")).toMatchObject({ action: "add" });
    expect(hasDanger([changes])).toBe(false);
  });

  it("shows a new destination as an in-place launch template change, with no Elastic IP replaced", () => {
    const changes = changesBetween(validInput, { ...validInput, destinationDomain: "other-account.sip.twilio.com" });
    expect(byAddress(changes, "aws_launch_template.proxy_template")).toMatchObject({
      action: "update",
      attributes: [{ path: "user_data", via: "local.proxy_template_user_data changed", forcesReplacement: false }],
    });
    expect(changes.locals).toEqual(["proxy_template_user_data"]);
    // The instance runs the new template version: replaced, but its address stays with the Elastic IP.
    expect(byAddress(changes, "aws_instance.proxy")).toMatchObject({
      action: "replace",
      attributes: [expect.objectContaining({ path: "launch_template.version", forcesReplacement: true })],
    });
    expect(changes.resources.filter((r) => r.type === "aws_eip")).toEqual([]);
    expect(hasDanger([changes])).toBe(false);
    expect(formatChanges([changes])).toContain(
      "  ~   aws_launch_template.proxy_template\n        user_data (local.proxy_template_user_data changed)",
    );
  });

  it("shows a new destination on a load-balanced stack as a rolling refresh, no address lost", () => {
    const changes = changesBetween(loadBalancedInput, { ...loadBalancedInput, destinationDomain: "x.sip.twilio.com" });
    expect(byAddress(changes, "aws_autoscaling_group.proxy")).toMatchObject({
      action: "update",
      sideEffects: ["starts a rolling instance refresh"],
    });
    const addressable = changes.resources.filter((r) => ["aws_eip", "aws_lb", "aws_nat_gateway"].includes(r.type));
    expect(addressable).toEqual([]);
  });

  it("flags a renamed Elastic IP as a replacement that loses the public address", () => {
    const head = renamed(single, "aws_eip", "proxy_ingress", "proxy_public_ip");
    const [changes] = diffStacks(new Map([["test", single]]), new Map([["test", head]]));
    expect(byAddress(changes, "aws_eip.proxy_ingress")).toMatchObject({
      action: "remove",
      danger: expect.stringMatching(
        /^aws_eip\.proxy_ingress is REPLACED \(renamed to aws_eip\.proxy_public_ip, no moved block\): its public IP is released/,
      ),
    });
    expect(byAddress(changes, "aws_eip.proxy_public_ip")).toMatchObject({ action: "add" });
    expect(byAddress(changes, "aws_eip_association.proxy_ingress_association")).toMatchObject({ action: "replace" });
    expect(hasDanger([changes])).toBe(true);
    expect(formatChanges([changes])).toContain("  !!! DANGER: aws_eip.proxy_ingress is REPLACED");
  });

  it("says that prevent_destroy stops a forced replacement but not a rename", () => {
    const base = JSON.parse(JSON.stringify(single)) as {
      resource: { aws_eip: Record<string, Record<string, unknown>> };
    };
    base.resource.aws_eip.proxy_ingress.lifecycle = { prevent_destroy: true };
    const rename = renamed(base as StackJson, "aws_eip", "proxy_ingress", "proxy_public_ip");
    const [renaming] = diffStacks(new Map([["test", base as StackJson]]), new Map([["test", rename]]));
    expect(byAddress(renaming, "aws_eip.proxy_ingress")?.danger).toContain(
      "(prevent_destroy does not stop this: it goes with the removed block)",
    );

    const forced = JSON.parse(JSON.stringify(base)) as typeof base;
    forced.resource.aws_eip.proxy_ingress.domain = "standard";
    const [replacing] = diffStacks(new Map([["test", base as StackJson]]), new Map([["test", forced as StackJson]]));
    expect(byAddress(replacing, "aws_eip.proxy_ingress")?.danger).toContain(
      "(prevent_destroy is set: Terraform will refuse this plan until it is lifted)",
    );
  });

  it("accepts the same rename with a moved block: the address stays in state", () => {
    const head = {
      ...renamed(single, "aws_eip", "proxy_ingress", "proxy_public_ip"),
      moved: [{ from: "aws_eip.proxy_ingress", to: "aws_eip.proxy_public_ip" }],
    };
    const [changes] = diffStacks(new Map([["test", single]]), new Map([["test", head]]));
    expect(changes.resources.filter((r) => r.type === "aws_eip")).toEqual([]);
    expect(hasDanger([changes])).toBe(false);
  });

  it("refuses the Elastic IPs of a zone removed from prod, unless prod sets allowElasticIpDestroy", () => {
    const prodFile = environmentFiles.find((e) => e.input.name === "prod")!;
    const threeZones = prodFile.input;
    expect(threeZones.availabilityZones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    const twoZones = { ...threeZones, availabilityZones: ["us-east-1a", "us-east-1b"] };
    const byStack = (inputs: EnvironmentInput[]) =>
      new Map([...synthesizeToMemory(inputs)].map(([name, json]) => [stackNameFor(name), json]));
    const changes = diffStacks(byStack([threeZones]), byStack([twoZones]));
    const losses = lossesInChanges(changes);
    expect(losses).toEqual([
      { stack: "sip-proxy-prod", address: "aws_eip.proxy_nlb_us_east_1c", action: "destroyed" },
      { stack: "sip-proxy-prod", address: "aws_eip.vpc_nat_us_east_1c", action: "destroyed" },
    ]);
    const prod: StackEnvironment = { name: "prod", file: prodFile.file, allowElasticIpDestroy: false };
    expect(refusedLosses(losses, () => prod)).toEqual(losses);
    expect(refusedLosses(losses, () => ({ ...prod, allowElasticIpDestroy: true }))).toEqual([]);
    // A stack whose environment is gone cannot allow anything.
    expect(refusedLosses(losses, () => undefined)).toEqual(losses);
  });

  it("flags an Elastic IP argument that forces a new allocation", () => {
    const head = JSON.parse(JSON.stringify(single)) as {
      resource: { aws_eip: Record<string, Record<string, unknown>> };
    };
    head.resource.aws_eip.proxy_ingress.public_ipv4_pool = "ipv4pool-ec2-0123";
    const [changes] = diffStacks(new Map([["test", single]]), new Map([["test", head as StackJson]]));
    expect(byAddress(changes, "aws_eip.proxy_ingress")).toMatchObject({
      action: "replace",
      danger: expect.stringContaining("is REPLACED (public_ipv4_pool forces it)"),
    });
  });
});

describe("npm run changes -- <base-ref>", () => {
  // A throwaway repository holding the current files as its one commit, then a new
  // destination in the working tree: the command's own worktree, synth and report.
  const repo = mkdtempSync(join(tmpdir(), "changes-cli-"));
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("reports the working tree's change against the commit, per stack", () => {
    const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    }).stdout.split("\0");
    for (const file of files.filter((f) => f && existsSync(join(PROJECT_ROOT, f)))) {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      copyFileSync(join(PROJECT_ROOT, file), join(repo, file));
    }
    const git = (...args: string[]) =>
      spawnSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args], { cwd: repo });
    expect(git("init", "-q").status).toBe(0);
    expect(git("add", "-A").status).toBe(0);
    expect(git("commit", "-q", "-m", "base").status).toBe(0);
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(repo, "node_modules"), "dir");
    const devFile = join(repo, "config/environments/dev.ts");
    writeFileSync(
      devFile,
      readFileSync(devFile, "utf8").replace(/destinationDomain: "[^"]+"/, 'destinationDomain: "moved.sip.twilio.com"'),
    );

    const run = spawnSync("npx", ["tsx", "scripts/changes.ts", "HEAD"], { cwd: repo, encoding: "utf8" });
    expect(run.stderr.replace(/^npm warn .*\n/gm, "")).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^comparing HEAD \([0-9a-f]{10}\) with the working tree/);
    const dev = run.stdout.slice(run.stdout.indexOf("== sip-proxy-dev"), run.stdout.indexOf("== sip-proxy-prod"));
    expect(dev).toContain(
      "~   aws_launch_template.proxy_template\n        user_data (local.proxy_template_user_data changed)",
    );
    expect(dev).not.toMatch(/aws_eip\./);
    expect(run.stdout).toContain("== sip-proxy-staging: no changes");
    expect(run.stdout).toContain("== sip-proxy-prod: no changes");
    expect(run.stdout).toContain("no Elastic IP, NLB or NAT gateway is replaced or destroyed");
    // The base checkout is gone again.
    expect(
      spawnSync("git", ["worktree", "list"], { cwd: repo, encoding: "utf8" }).stdout.trim().split("\n"),
    ).toHaveLength(1);

    // Removing a zone takes its Elastic IPs with it, which prevent_destroy cannot stop (the
    // block is gone): refused, exit 3, unless the environment says it is meant.
    const prodFile = join(repo, "config/environments/prod.ts");
    const prod = readFileSync(prodFile, "utf8");
    const twoZones = prod.replace(/availabilityZones: \[[^\]]+\]/, 'availabilityZones: ["us-east-1a", "us-east-1b"]');
    expect(twoZones).not.toBe(prod);
    writeFileSync(prodFile, twoZones);
    const refused = spawnSync("npx", ["tsx", "scripts/changes.ts", "HEAD"], { cwd: repo, encoding: "utf8" });
    expect(refused.status).toBe(3);
    // The whole report first (stdout), then the refusal (stderr).
    expect(refused.stdout).toContain("== sip-proxy-prod: ");
    expect(refused.stdout).toContain("!!! DANGER: aws_eip.proxy_nlb_us_east_1c is DESTROYED");
    expect(
      refused.stderr
        .replace(/^npm warn .*\n/gm, "")
        .trim()
        .split("\n"),
    ).toEqual([
      "refused: 2 Elastic IPs would be lost, and with them the addresses Twilio dials or the destination whitelists:",
      "  - environment prod (sip-proxy-prod): aws_eip.proxy_nlb_us_east_1c would be destroyed",
      "  - environment prod (sip-proxy-prod): aws_eip.vpc_nat_us_east_1c would be destroyed",
      "If this is meant (a zone retired, with Twilio and the destination told), set allowElasticIpDestroy: true in config/environments/prod.ts for this change, and set it back after the deploy.",
    ]);
    writeFileSync(prodFile, twoZones.replace('name: "prod",', 'name: "prod",\n  allowElasticIpDestroy: true,'));
    const allowed = spawnSync("npx", ["tsx", "scripts/changes.ts", "HEAD"], { cwd: repo, encoding: "utf8" });
    expect({ status: allowed.status, stderr: allowed.stderr.replace(/^npm warn .*\n/gm, "") }).toEqual({
      status: 0,
      stderr: "",
    });
    expect(allowed.stdout).toContain(
      "!!! at least one Elastic IP, NLB or NAT gateway above would be replaced or destroyed",
    );
  }, 240000);
});

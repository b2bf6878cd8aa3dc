// Errors a caller can tell apart by type: a construct given props it cannot build, a policy
// violation, and two constructs that would share one Terraform address.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Aspects, TerraformStack } from "cdktf";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { ConstructError } from "../../constructs/construct-error";
import { Vpc } from "../../constructs/vpc";
import { PolicyChecks, PolicyViolationError, synthesizeChecked } from "../../stacks/policy";
import { badInputLines } from "../../stacks/synth-failure";
import { ReadableAddressStack } from "../../stacks/unique-addresses";
import { EnvironmentFileError } from "../../config/config-error";

/** Builds into a scratch stack with the project's address scheme, then removes its output. */
function withScratchStack(build: (app: App, stack: TerraformStack) => void): void {
  const { app, stack, cleanup } = scratchStack();
  try {
    build(app, stack);
  } finally {
    cleanup();
  }
}

function scratchStack(): { app: App; stack: TerraformStack; cleanup: () => void } {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "errors-")) });
  // The project's stacks' address scheme: construct path joined by "_", no hash suffix.
  const stack = new ReadableAddressStack(app, "scratch");
  new AwsProvider(stack, "aws", {
    region: "us-east-1",
    defaultTags: [{ tags: { Project: "sip-proxy", Environment: "scratch", ManagedBy: "cdktf" } }],
  });
  return { app, stack, cleanup: () => rmSync(app.outdir, { recursive: true, force: true }) };
}

describe("errors by type", () => {
  it("a construct refuses impossible props with a ConstructError naming its path", () => {
    const { stack, cleanup } = scratchStack();
    try {
      new Vpc(stack, "network", { namePrefix: "x", cidr: "10.0.0.0/16", publicSubnets: [], protectAddresses: true });
      throw new Error("expected a ConstructError");
    } catch (error) {
      expect(error).toBeInstanceOf(ConstructError);
      expect((error as ConstructError).constructPath).toBe("scratch/network");
      expect((error as Error).message).toBe("scratch/network: needs at least one public subnet");
    } finally {
      cleanup();
    }
  });

  it("a policy violation stops synth with a PolicyViolationError listing each rule and address", () => {
    const { app, stack, cleanup } = scratchStack();
    Aspects.of(stack).add(new PolicyChecks({ sipPorts: [] }));
    new SnsTopic(stack, "topic", { name: "t" });
    try {
      expect(() => synthesizeChecked(app)).toThrow(PolicyViolationError);
      try {
        synthesizeChecked(app);
      } catch (error) {
        expect((error as PolicyViolationError).violations.map((v) => [v.rule, v.where])).toContainEqual([
          "sns-encrypted",
          "aws_sns_topic.topic",
        ]);
      }
    } finally {
      cleanup();
    }
  });

  it("two construct ids that normalise to one Terraform address are an error at synth, naming both", () => {
    withScratchStack((app, stack) => {
      new Eip(stack, "extra-ip", { domain: "vpc" });
      new Eip(stack, "extra_ip", { domain: "vpc" });
      expect(() => synthesizeChecked(app)).toThrow(
        /scratch\/extra_ip: has the Terraform address aws_eip\.extra_ip, which scratch\/extra-ip already has/,
      );
    });
  });

  it("distinct addresses synthesize (the check is not too eager)", () => {
    withScratchStack((app, stack) => {
      new Eip(stack, "ingress", { domain: "vpc" });
      new Eip(stack, "egress", { domain: "vpc" });
      expect(() => synthesizeChecked(app)).not.toThrow();
    });
  });
});

describe("a failed synth", () => {
  it("prints bad input's own message, and leaves anything else (a bug) to its stack trace", () => {
    const construct = new ConstructError(new App(), "needs at least one public subnet");
    expect(badInputLines(construct)).toEqual([
      construct.message,
      "synth stopped: a construct was given props it cannot build",
    ]);
    expect(badInputLines(new EnvironmentFileError("config/environments/x.ts", "cannot be loaded"))).toEqual([
      "config/environments/x.ts: cannot be loaded",
    ]);
    expect(badInputLines(new TypeError("undefined is not a function"))).toBeUndefined();
  });
});

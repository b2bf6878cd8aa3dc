import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Aspects, S3Backend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SecurityGroupRule } from "@cdktf/provider-aws/lib/security-group-rule";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { environments } from "../../config/environments";
import { buildApp } from "../../main";
import { PolicyChecks, suppressPolicy } from "../../stacks/policy";
import { contrastingInput, loadBalancedInput } from "../fixtures/environments";

const TAGS = { Project: "sip-proxy", Environment: "test", ManagedBy: "cdktf" };
const GOOD_TAG_SPECS = [
  { resourceType: "instance", tags: TAGS },
  { resourceType: "volume", tags: TAGS },
  { resourceType: "network-interface", tags: TAGS },
];

/** Synthesizes one stack with the policy aspect; returns the error message, or "" if it passed. */
function synthWith(build: (stack: TerraformStack) => void, providerTags: Record<string, string> = TAGS): string {
  const outdir = mkdtempSync(join(tmpdir(), "policy-"));
  try {
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "policy-test");
    new AwsProvider(stack, "aws", { region: "us-east-1", defaultTags: [{ tags: providerTags }] });
    Aspects.of(stack).add(new PolicyChecks({ sipPorts: [5080] }));
    build(stack);
    app.synth();
    return "";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A topic (encrypted unless told) with the policy the sns-tls-only rule asks for (or `statements`). */
function topicWithPolicy(scope: Construct, statements?: unknown[], encrypted = true): SnsTopic {
  const topic = new SnsTopic(scope, "topic", { name: "t", kmsMasterKeyId: encrypted ? "alias/k" : undefined });
  new SnsTopicPolicy(scope, "topic-policy", {
    arn: topic.arn,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: statements ?? [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "sns:*",
          Resource: topic.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    }),
  });
  return topic;
}

const goodTemplate = (scope: Construct, id = "lt") =>
  new LaunchTemplate(scope, id, {
    metadataOptions: { httpTokens: "required" },
    blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "true" } }],
    tagSpecifications: GOOD_TAG_SPECS,
  });

describe("policy checks", () => {
  it("pass a compliant stack", () => {
    expect(synthWith((s) => goodTemplate(s))).toBe("");
  });

  it("pass every shipped environment and the test fixtures with zero violations", () => {
    const outdir = mkdtempSync(join(tmpdir(), "policy-envs-"));
    try {
      expect(() => buildApp([...environments, contrastingInput, loadBalancedInput], outdir).app.synth()).not.toThrow();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("reject a launch template that allows IMDSv1", () => {
    const error = synthWith(
      (s) =>
        new LaunchTemplate(s, "lt", {
          metadataOptions: { httpTokens: "optional" },
          tagSpecifications: GOOD_TAG_SPECS,
        }),
    );
    expect(error).toContain("Policy violation [imdsv2] at aws_launch_template.lt");
  });

  it("reject an instance without IMDSv2 and without a template", () => {
    expect(synthWith((s) => new Instance(s, "vm", { ami: "ami-123", instanceType: "t3.small" }))).toContain(
      "Policy violation [imdsv2] at aws_instance.vm",
    );
  });

  it("reject unencrypted EBS volumes wherever they are declared", () => {
    const error = synthWith((s) => {
      new LaunchTemplate(s, "lt", {
        metadataOptions: { httpTokens: "required" },
        blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "false" } }],
        tagSpecifications: GOOD_TAG_SPECS,
      });
      new EbsVolume(s, "disk", { availabilityZone: "us-east-1a", size: 10 });
      new Instance(s, "vm", {
        launchTemplate: { id: "lt-1" },
        rootBlockDevice: { encrypted: false },
      });
    });
    expect(error).toContain("[ebs-encrypted] at aws_launch_template.lt");
    expect(error).toContain("[ebs-encrypted] at aws_ebs_volume.disk");
    expect(error).toContain("[ebs-encrypted] at aws_instance.vm");
  });

  it("reject SSH or SIP open to the whole internet, in every way of writing a rule", () => {
    const error = synthWith((s) => {
      new SecurityGroup(s, "inline", {
        ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
      });
      new SecurityGroupRule(s, "rule", {
        type: "ingress",
        protocol: "udp",
        fromPort: 5000,
        toPort: 5100,
        cidrBlocks: ["0.0.0.0/0"],
        securityGroupId: "sg-1",
      });
      new VpcSecurityGroupIngressRule(s, "v6", {
        ipProtocol: "-1",
        cidrIpv6: "::/0",
        securityGroupId: "sg-1",
      });
    });
    expect(error).toContain(
      "[no-open-ssh-or-sip] at aws_security_group.inline: no security group rule may open SSH or SIP to 0.0.0.0/0 or ::/0; port(s) 22 open to 0.0.0.0/0",
    );
    expect(error).toContain("[no-open-ssh-or-sip] at aws_security_group_rule.rule");
    expect(error).toMatch(
      /\[no-open-ssh-or-sip\] at aws_vpc_security_group_ingress_rule\.v6: .*port\(s\) 22, 5060, 5061, 5080 open to ::\/0/,
    );
  });

  it("allow open egress and open ingress on unrelated ports", () => {
    const error = synthWith(
      (s) =>
        new SecurityGroup(s, "web", {
          ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
          egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        }),
    );
    expect(error).toBe("");
  });

  it("reject missing Project, Environment or ManagedBy tags", () => {
    expect(synthWith((s) => goodTemplate(s), { Project: "sip-proxy" })).toContain(
      "[required-tags] at policy-test/aws: every taggable resource must carry Project, Environment and ManagedBy; provider default_tags lack Environment, ManagedBy",
    );
    const error = synthWith(
      (s) =>
        new LaunchTemplate(s, "lt", {
          metadataOptions: { httpTokens: "required" },
          tagSpecifications: [{ resourceType: "instance", tags: { Name: "x" } }],
        }),
    );
    expect(error).toContain("[required-tags] at aws_launch_template.lt");
    // Tagged instances and volumes, but network interfaces left out.
    const noInterfaces = synthWith(
      (s) =>
        new LaunchTemplate(s, "lt", {
          metadataOptions: { httpTokens: "required" },
          tagSpecifications: GOOD_TAG_SPECS.filter((spec) => spec.resourceType !== "network-interface"),
        }),
    );
    expect(noInterfaces).toContain(
      "[required-tags] at aws_launch_template.lt: every taggable resource must carry Project, Environment and ManagedBy; launched network-interface get no tags",
    );
  });

  it("reject an S3 backend without encryption or locking", () => {
    expect(synthWith((s) => new S3Backend(s, { bucket: "b", key: "k", region: "us-east-1" }))).toContain(
      "[s3-backend-encrypted-locked] at policy-test/backend: an S3 state backend must be encrypted and use a lock file; set encrypt = true and use_lockfile = true",
    );
    const locked = synthWith((s) => {
      new S3Backend(s, { bucket: "b", key: "k", region: "us-east-1", encrypt: true }).addOverride("use_lockfile", true);
    });
    expect(locked).toBe("");
  });

  it("reject an unencrypted SNS topic", () => {
    expect(synthWith((s) => new SnsTopic(s, "topic", { name: "t" }))).toContain(
      "[sns-encrypted] at aws_sns_topic.topic",
    );
  });

  it("reject an SNS topic whose policy does not refuse requests without TLS (AwsSolutions-SNS3)", () => {
    expect(synthWith((s) => new SnsTopic(s, "topic", { name: "t", kmsMasterKeyId: "alias/k" }))).toContain(
      "[sns-tls-only] at aws_sns_topic.topic",
    );
    const allowOnly = [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "SNS:Publish", Resource: "*" }];
    expect(synthWith((s) => topicWithPolicy(s, allowOnly))).toContain("[sns-tls-only] at aws_sns_topic.topic");
    expect(synthWith((s) => topicWithPolicy(s))).toBe("");
  });

  it("reject a load balancer without deletion protection (FSBP ELB.6)", () => {
    const lb = (protect: boolean) => (s: Construct) =>
      new Lb(s, "nlb", { loadBalancerType: "network", subnets: ["subnet-1"], enableDeletionProtection: protect });
    expect(synthWith(lb(false))).toContain("[nlb-deletion-protection] at aws_lb.nlb");
    expect(synthWith(lb(true))).toBe("");
  });

  it("let a load-balanced environment that allows Elastic IP destroy synthesize without deletion protection, with a warning", () => {
    const outdir = mkdtempSync(join(tmpdir(), "policy-teardown-"));
    try {
      const { app } = buildApp([{ ...loadBalancedInput, allowElasticIpDestroy: true }], outdir);
      expect(() => app.synth()).not.toThrow();
      const warnings = app.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
      expect(warnings).toContainEqual(
        expect.stringMatching(
          /^Policy "nlb-deletion-protection" suppressed for aws_lb\.proxy_nlb: the environment sets allowElasticIpDestroy/,
        ),
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("reject a VPC whose default security group is unmanaged or keeps a rule (FSBP EC2.2)", () => {
    const vpc = (s: Construct) => new Vpc(s, "vpc", { cidrBlock: "10.9.0.0/16" });
    expect(synthWith((s) => vpc(s))).toContain("[default-sg-closed] at aws_vpc.vpc");
    const withRule = (s: Construct) =>
      new DefaultSecurityGroup(s, "default-sg", {
        vpcId: vpc(s).id,
        ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.9.0.0/16"] }],
      });
    expect(synthWith(withRule)).toContain("[default-sg-closed] at aws_vpc.vpc");
    expect(synthWith((s) => new DefaultSecurityGroup(s, "default-sg", { vpcId: vpc(s).id }))).toBe("");
  });

  it("reject an Auto Scaling group that does not propagate the project tags to its instances", () => {
    const group = (tags: { key: string; value: string; propagateAtLaunch: boolean }[]) => (s: Construct) =>
      new AutoscalingGroup(s, "asg", { minSize: 1, maxSize: 1, availabilityZones: ["us-east-1a"], tag: tags });
    const projectTags = (propagate: boolean) =>
      Object.entries(TAGS).map(([key, value]) => ({ key, value, propagateAtLaunch: propagate }));
    expect(synthWith(group([{ key: "Name", value: "x", propagateAtLaunch: true }]))).toContain(
      "[required-tags] at aws_autoscaling_group.asg: every taggable resource must carry Project, Environment and ManagedBy; tag blocks (propagated at launch) lack Project, Environment, ManagedBy",
    );
    expect(synthWith(group(projectTags(false)))).toContain("[required-tags] at aws_autoscaling_group.asg");
    expect(synthWith(group(projectTags(true)))).toBe("");
  });

  it("accept a suppression only with a written reason, and still report it", () => {
    // A one-word reason is refused where it is written, not silently accepted.
    const scratch = new TerraformStack(new App(), "reasons");
    expect(() => suppressPolicy(new SnsTopic(scratch, "topic", { name: "t" }), "sns-encrypted", "because")).toThrow(
      /needs a written reason of at least 20 characters/,
    );
    expect(
      synthWith((s) => suppressPolicy(new SnsTopic(s, "topic", { name: "t" }), "sns-encrypted", "because")),
    ).toContain("needs a written reason");
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "policy-warn-")) });
    const stack = new TerraformStack(app, "warned");
    new AwsProvider(stack, "aws", { region: "us-east-1", defaultTags: [{ tags: TAGS }] });
    Aspects.of(stack).add(new PolicyChecks({ sipPorts: [] }));
    const topic = topicWithPolicy(stack, undefined, false);
    suppressPolicy(topic, "sns-encrypted", "carries only public status pages, no call data");
    expect(() => app.synth()).not.toThrow();
    const warnings = topic.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings).toEqual([
      'Policy "sns-encrypted" suppressed for aws_sns_topic.topic: carries only public status pages, no call data',
    ]);
    rmSync(app.outdir, { recursive: true, force: true });
  });
});

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
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultNetworkAcl, type DefaultNetworkAclIngress } from "@cdktf/provider-aws/lib/default-network-acl";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { environments } from "../../config/environments";
import { buildApp } from "../../main";
import { defaultNetworkAclIngress } from "../../constructs/vpc";
import { PolicyChecks, policySuppressions, suppressPolicy } from "../../stacks/policy";
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

const aclRule = (ruleNo: number, action: string, protocol: string, port?: number, cidrBlock = "0.0.0.0/0") => ({
  ruleNo,
  action,
  protocol,
  cidrBlock,
  fromPort: port ?? 0,
  toPort: port ?? 0,
});
/** 22 and 3389 denied from anywhere over TCP and UDP, then everything else let in. */
const CLOSED_ACL = [
  aclRule(100, "deny", "tcp", 22),
  aclRule(101, "deny", "udp", 22),
  aclRule(102, "deny", "tcp", 3389),
  aclRule(103, "deny", "udp", 3389),
  aclRule(200, "allow", "-1"),
];

/**
 * A VPC with everything the VPC rules ask for, or with one part left out or changed: its
 * default security group adopted and empty, a flow log of `flowLog` traffic, its default
 * network ACL adopted with `acl` (undefined: left to AWS).
 */
function compliantVpc(
  scope: Construct,
  parts: { defaultSg?: boolean; flowLog?: string; acl?: DefaultNetworkAclIngress[] } = {},
): Vpc {
  const { defaultSg = true, flowLog = "REJECT" } = parts;
  const acl = "acl" in parts ? parts.acl : CLOSED_ACL;
  const vpc = new Vpc(scope, "vpc", { cidrBlock: "10.9.0.0/16" });
  if (defaultSg) new DefaultSecurityGroup(scope, "default-sg", { vpcId: vpc.id });
  if ("flowLog" in parts ? parts.flowLog !== undefined : true) {
    new FlowLog(scope, "flow-log", { vpcId: vpc.id, trafficType: flowLog, logDestination: "arn:aws:logs:x" });
  }
  if (acl) {
    new DefaultNetworkAcl(scope, "acl", { defaultNetworkAclId: vpc.defaultNetworkAclId, ingress: acl });
  }
  return vpc;
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

  it("let through exactly the reviewed exceptions in the shipped environments, each with its reason", () => {
    // The complete list, pinned: a new suppression, or a changed reason, shows in review here.
    const outdir = mkdtempSync(join(tmpdir(), "policy-exceptions-"));
    try {
      const { app } = buildApp(environments, outdir);
      app.synth();
      const found = policySuppressions(app).map((e) => `${e.stack} ${e.rule} ${e.where}: ${e.reason}`);
      const everywhere = (stack: string) => [
        `${stack} iam-no-managed-policies aws_iam_role_policy_attachment.proxy_template_role_ssm: AmazonSSMManagedInstanceCore is the policy Session Manager documents for instances; a hand-scoped copy that missed an action would lock operators out of the only shell access (no SSH)`,
        `${stack} iam-no-wildcards aws_iam_role_policy.flow_logs_deliver: log streams are created by the flow log service under names it picks, and logs:DescribeLogGroups has no single-group resource; every other action names the one flow log group`,
        `${stack} iam-no-wildcards aws_iam_role_policy.proxy_template_role_ship_logs: the CloudWatch agent and Session Manager name log streams after instance ids and sessions, unknown until launch; the groups are named (this environment's two and the account's session log), and Session Manager looks its group up with logs:DescribeLogGroups, which has no single-group resource`,
        `${stack} iam-no-wildcards aws_iam_role_policy.proxy_template_role_tag_self: instance ids are unknown until launch; the conditions limit it to instances tagged with this environment's Name and to the two boot-fact tag keys`,
        `${stack} nacl-no-open-rdp aws_default_network_acl.vpc_default_nacl: network ACLs are stateless and a NAT gateway's replies come back on the port it picked, any from 1024 to 65535; denying 3389 would cut the SIP mapping that lands on it for as long as it stays busy. Nothing listens on 3389 and the security groups never admit it.`,
      ];
      expect(found.sort()).toEqual(["sip-proxy-dev", "sip-proxy-staging", "sip-proxy-prod"].flatMap(everywhere).sort());
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
      new Lb(s, "nlb", {
        loadBalancerType: "network",
        subnets: ["subnet-1"],
        securityGroups: ["sg-1"],
        enableDeletionProtection: protect,
      });
    expect(synthWith(lb(false))).toContain("[nlb-deletion-protection] at aws_lb.nlb");
    expect(synthWith(lb(true))).toBe("");
  });

  it("reject a network load balancer made without a security group", () => {
    const lb = (groups?: string[]) => (s: Construct) =>
      new Lb(s, "nlb", {
        loadBalancerType: "network",
        subnets: ["subnet-1"],
        securityGroups: groups,
        enableDeletionProtection: true,
      });
    expect(synthWith(lb())).toContain("[nlb-security-group] at aws_lb.nlb");
    expect(synthWith(lb([]))).toContain("[nlb-security-group] at aws_lb.nlb");
    expect(synthWith(lb(["sg-1"]))).toBe("");
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
    expect(synthWith((s) => compliantVpc(s, { defaultSg: false }))).toContain("[default-sg-closed] at aws_vpc.vpc");
    const withRule = (s: Construct) =>
      new DefaultSecurityGroup(s, "leaky-sg", {
        vpcId: compliantVpc(s, { defaultSg: false }).id,
        ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.9.0.0/16"] }],
      });
    expect(synthWith(withRule)).toContain("[default-sg-closed] at aws_vpc.vpc");
    expect(synthWith((s) => compliantVpc(s))).toBe("");
  });

  it("reject a VPC without flow logs of its rejected traffic (FSBP EC2.6)", () => {
    expect(synthWith((s) => compliantVpc(s, { flowLog: undefined }))).toContain("[vpc-flow-logs] at aws_vpc.vpc");
    expect(synthWith((s) => compliantVpc(s, { flowLog: "ACCEPT" }))).toContain("[vpc-flow-logs] at aws_vpc.vpc");
    expect(synthWith((s) => compliantVpc(s, { flowLog: "ALL" }))).toBe("");
    expect(synthWith((s) => compliantVpc(s, { flowLog: "REJECT" }))).toBe("");
  });

  it("reject network ACLs that let 22 or 3389 in from anywhere, following rule order (FSBP EC2.21)", () => {
    const acl = (ingress: DefaultNetworkAclIngress[] | undefined) => (s: Construct) =>
      compliantVpc(s, { acl: ingress });
    const rule = aclRule;
    // Left to AWS (rule 100 admits everything): both.
    const unmanaged = synthWith(acl(undefined));
    expect(unmanaged).toContain("[nacl-no-open-ssh] at aws_vpc.vpc");
    expect(unmanaged).toContain("[nacl-no-open-rdp] at aws_vpc.vpc");
    const allowAll = synthWith(acl([rule(100, "allow", "-1")]));
    expect(allowAll).toContain("[nacl-no-open-ssh] at aws_default_network_acl.acl");
    expect(allowAll).toContain("[nacl-no-open-rdp] at aws_default_network_acl.acl");
    // A deny numbered after the allow never applies.
    expect(
      synthWith(acl([rule(100, "allow", "-1"), rule(200, "deny", "tcp", 22), rule(201, "deny", "udp", 22)])),
    ).toContain("[nacl-no-open-ssh]");
    // UDP counts too, and "6" is TCP's protocol number.
    expect(synthWith(acl([rule(100, "deny", "6", 22), rule(200, "allow", "-1")]))).toContain(
      "port 22 (udp) is let in from anywhere",
    );
    // The shipped rules: 22 closed, 3389 left open (suppressed in the stacks, with its reason).
    const shipped = synthWith(acl(defaultNetworkAclIngress()));
    expect(shipped).not.toContain("[nacl-no-open-ssh]");
    expect(shipped).toContain("[nacl-no-open-rdp] at aws_default_network_acl.acl");
    // An operator network is not "anywhere".
    expect(synthWith(acl(defaultNetworkAclIngress("203.0.113.0/28")))).not.toContain("[nacl-no-open-ssh]");
    expect(synthWith(acl(CLOSED_ACL))).toBe("");
  });

  it("reject log groups without a customer key or without a retention", () => {
    const group = (kmsKeyId?: string, retentionInDays?: number) => (s: Construct) =>
      new CloudwatchLogGroup(s, "logs", { name: "/x", kmsKeyId, retentionInDays });
    expect(synthWith(group(undefined, 14))).toContain("[log-group-encrypted] at aws_cloudwatch_log_group.logs");
    expect(synthWith(group("arn:aws:kms:us-east-1:123456789012:key/k"))).toContain(
      "[log-group-retention] at aws_cloudwatch_log_group.logs",
    );
    expect(synthWith(group("arn:aws:kms:us-east-1:123456789012:key/k", 0))).toContain("[log-group-retention]");
    expect(synthWith(group("arn:aws:kms:us-east-1:123456789012:key/k", 14))).toBe("");
  });

  it("reject AWS managed policies on roles (AwsSolutions-IAM4)", () => {
    const attach = (policyArn: string) => (s: Construct) =>
      new IamRolePolicyAttachment(s, "attach", { role: "r", policyArn });
    expect(synthWith(attach("arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"))).toContain(
      "[iam-no-managed-policies] at aws_iam_role_policy_attachment.attach",
    );
    expect(synthWith(attach("arn:aws:iam::123456789012:policy/own"))).toBe("");
  });

  it('reject "*" in the actions or resources of an identity policy (AwsSolutions-IAM5)', () => {
    const policy = (Action: string | string[], Resource: string | string[]) => (s: Construct) =>
      new IamRolePolicy(s, "policy", {
        role: "r",
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action, Resource }] }),
      });
    expect(synthWith(policy("logs:*", "arn:aws:logs:us-east-1:123456789012:log-group:/x"))).toContain(
      '[iam-no-wildcards] at aws_iam_role_policy.policy: identity policies must not use "*" in actions or resources (cdk-nag AwsSolutions-IAM5); allows logs:*',
    );
    expect(synthWith(policy(["logs:PutLogEvents"], ["arn:aws:logs:us-east-1:123456789012:log-group:/x:*"]))).toContain(
      "[iam-no-wildcards]",
    );
    expect(synthWith(policy("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/x"))).toBe("");
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

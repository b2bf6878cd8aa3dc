// Each construct on its own, in a bare test stack (no SipProxyStack around it): what it
// builds from its props, and the props it refuses. GIVEN props, WHEN the construct is built,
// THEN the synthesized resources (or the ConstructError).
import { Testing, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { parseEnvironment } from "../../config/schema";
import { nodeSettingsFor } from "../../config/node-settings";
import { TWILIO_SIGNALING_CIDRS } from "../../config/twilio";
import { ConstructError } from "../../constructs/construct-error";
import { addressPatterns, VpcFlowLogs } from "../../constructs/flow-logs";
import { IngressDns } from "../../constructs/ingress-dns";
import type { Metric } from "../../constructs/metric";
import { Monitoring, type MonitoredProxies } from "../../constructs/monitoring";
import { SipAutoscaling, type SipAutoscalingProps } from "../../constructs/sip-autoscaling";
import { SipInstance } from "../../constructs/sip-instance";
import { SipLaunchTemplate, type SipLaunchTemplateProps } from "../../constructs/sip-launch-template";
import { SipSecurityGroup } from "../../constructs/sip-security-group";
import { Vpc } from "../../constructs/vpc";
import type { StackJson } from "../../scripts/lib/stack-json";
import { loadBalancedInput, validInput } from "../fixtures/environments";

/** Builds one construct in a stack of its own and returns the synthesized JSON. */
function build(make: (scope: Construct) => unknown): StackJson {
  const stack = new TerraformStack(Testing.app(), "construct-test");
  make(stack);
  return JSON.parse(Testing.synth(stack)) as StackJson;
}

const refusal = (make: (scope: Construct) => unknown) => {
  try {
    build(make);
  } catch (error) {
    if (error instanceof ConstructError) return error.message;
    throw error;
  }
  throw new Error("expected a ConstructError, but the construct was built");
};

const resources = (json: StackJson, type: string) => Object.values(json.resource?.[type] ?? {});
const account = { region: "us-east-1", id: "123456789012" };

/** What a load-balanced environment resolves to, from the shared fixture (defaults included). */
const lb = parseEnvironment(loadBalancedInput);
const nodeSizing = {
  instanceType: lb.instanceType,
  rootVolumeGb: lb.rootVolumeGb,
  imageId: lb.imageId,
  protectAddresses: true,
};

const autoscalingProps = (overrides: Partial<SipAutoscalingProps> = {}): SipAutoscalingProps => ({
  namePrefix: "sip-proxy-t",
  ...nodeSizing,
  minSize: lb.loadBalancing!.min,
  desiredCapacity: lb.loadBalancing!.desired,
  maxSize: lb.loadBalancing!.max,
  healthCheckGraceSeconds: lb.loadBalancing!.healthCheckGraceSeconds,
  vpcId: "vpc-1",
  vpcCidr: "10.0.0.0/16",
  allowedSipCidrs: TWILIO_SIGNALING_CIDRS,
  node: nodeSettingsFor(lb),
  account,
  logGroupNames: ["/sip-proxy/t/kamailio"],
  publicSubnets: [{ availabilityZone: "us-west-2a", subnetId: "subnet-a" }],
  privateSubnetIds: ["subnet-c"],
  ...overrides,
});

describe("SipAutoscaling", () => {
  it("GIVEN one zone and a size, WHEN built, THEN an NLB with its security group and a group of that size", () => {
    const json = build(
      (s) => new SipAutoscaling(s, "proxy", autoscalingProps({ minSize: 3, desiredCapacity: 4, maxSize: 6 })),
    );
    const [group] = resources(json, "aws_autoscaling_group");
    expect([group.min_size, group.max_size, group.desired_capacity]).toEqual([3, 6, 4]);
    expect(resources(json, "aws_lb")[0].security_groups).toEqual([
      expect.stringMatching(/^\$\{aws_security_group\.proxy_nlb-sg_\w+\.id\}$/),
    ]);
  });

  it.each([
    ["no public subnet", { publicSubnets: [] }, /needs at least one public subnet/],
    ["no private subnet", { privateSubnetIds: [] }, /needs at least one private subnet/],
    [
      "desired above max",
      { minSize: 2, desiredCapacity: 5, maxSize: 4 },
      /needs min <= desired <= max, got 2 <= 5 <= 4/,
    ],
    [
      "two zones and no advertised name",
      {
        publicSubnets: [
          { availabilityZone: "us-west-2a", subnetId: "subnet-a" },
          { availabilityZone: "us-west-2b", subnetId: "subnet-b" },
        ],
      },
      /has 2 zones but no advertisedName/,
    ],
  ] as const)("GIVEN %s, WHEN built, THEN it is refused", (_label, overrides, message) => {
    expect(refusal((s) => new SipAutoscaling(s, "proxy", autoscalingProps(overrides)))).toMatch(message);
  });

  it("GIVEN node settings without a drain, WHEN built, THEN it is refused: instances must drain", () => {
    const node = { ...autoscalingProps().node, drain: undefined };
    expect(refusal((s) => new SipAutoscaling(s, "proxy", autoscalingProps({ node })))).toMatch(/needs node\.drain/);
  });
});

describe("SipInstance", () => {
  it("GIVEN a subnet, WHEN built, THEN one instance from the template, its Elastic IP protected", () => {
    const json = build(
      (s) =>
        new SipInstance(s, "proxy", {
          namePrefix: "sip-proxy-t",
          ...nodeSizing,
          vpcId: "vpc-1",
          allowedSipCidrs: TWILIO_SIGNALING_CIDRS,
          node: nodeSettingsFor(parseEnvironment(validInput)),
          account,
          logGroupNames: [],
          subnetId: "subnet-a",
        }),
    );
    expect(resources(json, "aws_instance")).toHaveLength(1);
    const [eip] = resources(json, "aws_eip");
    expect((eip.lifecycle as { prevent_destroy: boolean }).prevent_destroy).toBe(true);
  });
});

describe("SipLaunchTemplate", () => {
  const templateProps = (overrides: Partial<SipLaunchTemplateProps> = {}): SipLaunchTemplateProps => ({
    namePrefix: "sip-proxy-t",
    instanceType: lb.instanceType,
    rootVolumeGb: lb.rootVolumeGb,
    imageId: lb.imageId,
    securityGroupIds: ["sg-1"],
    userData: "#!/bin/sh\n",
    account,
    logGroupNames: ["/sip-proxy/t/kamailio"],
    ...overrides,
  });
  const policies = (json: StackJson) =>
    resources(json, "aws_iam_role_policy").map((p) => ({
      name: p.name,
      statements: JSON.parse(p.policy as string).Statement as Record<string, unknown>[],
    }));

  it("GIVEN a name prefix too long for an IAM role, WHEN built, THEN it is refused with AWS's limit", () => {
    const namePrefix = `sip-proxy-${"x".repeat(50)}`;
    expect(refusal((s) => new SipLaunchTemplate(s, "template", templateProps({ namePrefix })))).toMatch(
      /iamRole name "sip-proxy-x+-instance" has 69 characters; AWS allows at most 64/,
    );
  });

  it("GIVEN no secret parameter, WHEN built, THEN the role may read no parameter at all", () => {
    const json = build((s) => new SipLaunchTemplate(s, "template", templateProps()));
    expect(policies(json).map((p) => p.name)).not.toContain("read-source-auth-password");
  });

  it("GIVEN a parameter and its key, WHEN built, THEN the role reads that parameter and decrypts only through SSM", () => {
    const keyArn = "arn:aws:kms:us-east-1:123456789012:key/abcd";
    const secretParameter = { name: "/sip-proxy/t/password", region: "us-east-1", keyArn };
    const json = build((s) => new SipLaunchTemplate(s, "template", templateProps({ secretParameter })));
    expect(policies(json).find((p) => p.name === "read-source-auth-password")?.statements).toEqual([
      {
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/sip-proxy/t/password",
      },
      {
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": "ssm.us-east-1.amazonaws.com" } },
      },
    ]);
  });
});

describe("SipSecurityGroup", () => {
  it("GIVEN ranges and a group as sources, WHEN built, THEN a UDP and a TCP rule for each, and open egress", () => {
    const json = build(
      (s) =>
        new SipSecurityGroup(s, "sg", {
          namePrefix: "t",
          vpcId: "vpc-1",
          description: "test",
          port: 5060,
          sipSources: [
            { label: "ranges", cidrs: ["192.0.2.0/24"] },
            { label: "a group", securityGroupId: "sg-1" },
          ],
        }),
    );
    const [group] = resources(json, "aws_security_group");
    const rules = group.ingress as Array<{
      protocol: string;
      cidr_blocks: string[] | null;
      security_groups: string[] | null;
    }>;
    expect(rules.map((r) => [r.protocol, r.cidr_blocks, r.security_groups])).toEqual([
      ["udp", ["192.0.2.0/24"], null],
      ["tcp", ["192.0.2.0/24"], null],
      ["udp", null, ["sg-1"]],
      ["tcp", null, ["sg-1"]],
    ]);
    expect((group.egress as Array<{ protocol: string }>)[0].protocol).toBe("-1");
  });

  it("GIVEN an egress range (a load balancer's group), WHEN built, THEN it may send only SIP there", () => {
    const json = build(
      (s) =>
        new SipSecurityGroup(s, "sg", {
          namePrefix: "t",
          role: "nlb",
          vpcId: "vpc-1",
          description: "test",
          port: 5060,
          tlsPort: 5061,
          sipSources: [{ label: "ranges", cidrs: ["192.0.2.0/24"] }],
          egressCidr: "10.0.0.0/16",
        }),
    );
    const egress = resources(json, "aws_security_group")[0].egress as Array<{ protocol: string; from_port: number }>;
    expect(egress.map((r) => [r.protocol, r.from_port])).toEqual([
      ["udp", 5060],
      ["tcp", 5060],
      ["tcp", 5061],
    ]);
  });
});

describe("Vpc", () => {
  it.each([
    [
      "a private subnet in a zone without a public one",
      { privateZone: "us-east-1b", natGateways: "single" as const },
      /private subnet in us-east-1b has no public subnet for its NAT gateway/,
    ],
    [
      "private subnets but no natGateways (the schema holds the default, not the construct)",
      { privateZone: "us-east-1a", natGateways: undefined },
      /private subnets need natGateways/,
    ],
  ])("GIVEN %s, WHEN built, THEN it is refused", (_, { privateZone, natGateways }, refused) => {
    expect(
      refusal(
        (s) =>
          new Vpc(s, "vpc", {
            namePrefix: "t",
            cidr: "10.0.0.0/16",
            publicSubnets: [{ availabilityZone: "us-east-1a", cidr: "10.0.0.0/20" }],
            privateSubnets: [{ availabilityZone: privateZone, cidr: "10.0.128.0/20" }],
            natGateways,
            protectAddresses: true,
          }),
      ),
    ).toMatch(refused);
  });
});

describe("IngressDns", () => {
  it.each([
    ["no address", { addresses: [], hostedZone: "example.net" }, /needs at least one address/],
    ["both zone forms", { addresses: ["192.0.2.1"], hostedZone: "example.net", hostedZoneId: "Z1" }, /exactly one of/],
  ] as const)("GIVEN %s, WHEN built, THEN it is refused", (_label, props, message) => {
    expect(refusal((s) => new IngressDns(s, "dns", { name: "sip.example.net", ...props }))).toMatch(message);
  });
});

describe("VpcFlowLogs", () => {
  const props = {
    namePrefix: "t",
    vpcId: "vpc-1",
    region: "us-east-1",
    accountId: "123456789012",
    logGroup: { name: "/x", arn: "arn:aws:logs:us-east-1:123456789012:log-group:/x" },
    sipPorts: [5060],
    namespace: "SipProxy/t",
  };

  it("GIVEN Twilio's ranges, WHEN built, THEN a REJECT flow log and the two metric filters", () => {
    const json = build((s) => new VpcFlowLogs(s, "flow", { ...props, twilioCidrs: TWILIO_SIGNALING_CIDRS }));
    expect(resources(json, "aws_flow_log")[0].traffic_type).toBe("REJECT");
    expect(resources(json, "aws_cloudwatch_log_metric_filter")).toHaveLength(2);
    expect(addressPatterns("54.172.60.0/30")).toHaveLength(1);
  });

  it("GIVEN a source range wider than a /24, WHEN built, THEN it is refused", () => {
    expect(refusal((s) => new VpcFlowLogs(s, "flow", { ...props, twilioCidrs: ["10.0.0.0/16"] }))).toMatch(
      /only \/24 to \/32 ranges are supported/,
    );
  });
});

describe("Monitoring", () => {
  const metric = (metricName: string, dimensions: Record<string, string>): Metric => ({
    namespace: "Test/Proxies",
    metricName,
    dimensions,
  });
  const cpuOnly: MonitoredProxies = {
    metricCpuUtilization: () => metric("CPUUtilization", { Fleet: "f-1" }),
    writesDrainLines: false,
  };
  const monitor = (target: MonitoredProxies) =>
    build(
      (s) =>
        new Monitoring(s, "monitoring", {
          namePrefix: "t",
          environment: "t",
          region: "us-east-1",
          accountId: "123456789012",
          ...parseEnvironment(validInput).monitoring,
          paging: false,
          target,
        }),
    );
  type Alarm = Record<string, unknown> & { alarm_actions: string[] };
  const alarms = (json: StackJson) =>
    Object.fromEntries(resources(json, "aws_cloudwatch_metric_alarm").map((a) => [a.alarm_name, a as Alarm]));
  const filterNames = (json: StackJson) => resources(json, "aws_cloudwatch_log_metric_filter").map((f) => f.name);

  it("GIVEN a target with only its CPU, WHEN built, THEN the common alarms and cpu-high on the target's metric, no health or capacity alarm", () => {
    const a = alarms(monitor(cpuOnly));
    expect(Object.keys(a).sort()).toEqual([
      "t-answer-rate",
      "t-cpu-high",
      "t-destination-timeouts",
      "t-shared-memory-high",
      "t-sources-banned",
      "t-twilio-sip-rejected",
    ]);
    expect(a["t-cpu-high"]).toMatchObject({
      namespace: "Test/Proxies",
      metric_name: "CPUUtilization",
      dimensions: { Fleet: "f-1" },
    });
  });

  it("GIVEN a target with target health, WHEN built, THEN the three health alarms on the metrics it gave", () => {
    const healthy = metric("Healthy", { Pool: "p-1" });
    const unhealthy = metric("Unhealthy", { Pool: "p-1" });
    const a = alarms(monitor({ ...cpuOnly, targetHealth: { healthy, unhealthy, fewestHealthy: 3 } }));
    expect(a["t-unhealthy-targets"]).toMatchObject({ metric_name: "Unhealthy", dimensions: { Pool: "p-1" } });
    expect(a["t-healthy-below-minimum"]).toMatchObject({
      metric_name: "Healthy",
      dimensions: { Pool: "p-1" },
      threshold: 3,
    });
    expect(a["t-no-healthy-targets"]).toMatchObject({ metric_name: "Healthy", dimensions: { Pool: "p-1" } });
    expect(a["t-system-status"]).toBeUndefined();
  });

  it("GIVEN a target with status checks, WHEN built, THEN system-status recovers the instance", () => {
    const statusChecks = { system: metric("System", { Box: "b-1" }), instance: metric("Instance", { Box: "b-1" }) };
    const a = alarms(monitor({ ...cpuOnly, statusChecks }));
    expect(a["t-system-status"]).toMatchObject({ metric_name: "System", dimensions: { Box: "b-1" } });
    expect(a["t-system-status"].alarm_actions[0]).toBe("arn:aws:automate:us-east-1:ec2:recover");
    expect(a["t-instance-status"]).toMatchObject({ metric_name: "Instance" });
    expect(a["t-unhealthy-targets"]).toBeUndefined();
  });

  it("GIVEN nodes that write drain lines, WHEN built, THEN the drain metric filters; without, none", () => {
    expect(filterNames(monitor({ ...cpuOnly, writesDrainLines: true }))).toEqual(
      expect.arrayContaining(["t-DrainsStarted", "t-DrainsCompleted"]),
    );
    expect(filterNames(monitor(cpuOnly)).filter((name) => String(name).includes("Drains"))).toEqual([]);
  });
});

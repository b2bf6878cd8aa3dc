import { Testing, TerraformStack } from "cdktf";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc as AwsVpc } from "@cdktf/provider-aws/lib/vpc";
import ipaddr from "ipaddr.js";
import { defaultNetworkAclIngress, Vpc, type NetworkAclRule } from "../../constructs/vpc";

function synthVpc(zones: string[]): string {
  const stack = new TerraformStack(Testing.app(), "test");
  new Vpc(stack, "vpc", {
    namePrefix: "sip-proxy-test",
    cidr: "10.0.0.0/16",
    publicSubnets: zones.map((az, i) => ({ availabilityZone: az, cidr: `10.0.${i * 16}.0/20` })),
    protectAddresses: true,
  });
  return Testing.synth(stack);
}

describe("Vpc", () => {
  it("creates the VPC with DNS support for resolving the destination domain", () => {
    expect(synthVpc(["us-east-1a"])).toHaveResourceWithProperties(AwsVpc, {
      cidr_block: "10.0.0.0/16",
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
  });

  it("creates one public subnet per zone, none assigning public IPs implicitly", () => {
    const synth = synthVpc(["us-east-1a", "us-east-1b"]);
    const subnets = Object.values(JSON.parse(synth).resource.aws_subnet) as Array<Record<string, unknown>>;
    expect(subnets.map((s) => [s.availability_zone, s.cidr_block])).toEqual([
      ["us-east-1a", "10.0.0.0/20"],
      ["us-east-1b", "10.0.16.0/20"],
    ]);
    expect(synth).toHaveResourceWithProperties(Subnet, { map_public_ip_on_launch: false });
  });

  it("routes the public subnets to the internet gateway", () => {
    const synth = synthVpc(["us-east-1a"]);
    expect(synth).toHaveResource(InternetGateway);
    expect(synth).toHaveResourceWithProperties(Route, { destination_cidr_block: "0.0.0.0/0" });
    const json = JSON.parse(synth);
    expect(Object.keys(json.resource.aws_route_table_association)).toHaveLength(1);
  });

  it("rejects a network without subnets", () => {
    expect(() => synthVpc([])).toThrow(/at least one public subnet/);
  });
});

/**
 * A model of a network ACL's inbound decision, for this test only (nothing here can run a
 * real one): "Rules are evaluated starting with the lowest numbered rule. As soon as a rule
 * matches traffic, it's applied regardless of any higher-numbered rule that might contradict
 * it" (VPC user guide, network ACL rules); no match, the final "*" rule denies.
 */
function admits(rules: readonly NetworkAclRule[], protocol: "tcp" | "udp", port: number, source: string): boolean {
  const hit = [...rules]
    .sort((a, b) => a.ruleNo - b.ruleNo)
    .find(
      (r) =>
        ipaddr.IPv4.parse(source).match(ipaddr.IPv4.parseCIDR(r.cidrBlock)) &&
        (r.protocol === "-1" || (r.protocol === protocol && r.fromPort <= port && port <= r.toPort)),
    );
  return hit?.action === "allow";
}

describe("the default network ACL (stateless: every reply the stacks need must get in)", () => {
  const shipped = defaultNetworkAclIngress();
  const operator = "203.0.113.0/28";

  it("admits SIP from Twilio, and replies on every port a NAT gateway or an instance may use", () => {
    for (const protocol of ["udp", "tcp"] as const) {
      expect(admits(shipped, protocol, 5060, "54.172.60.1")).toBe(true);
      // "NAT gateway uses ports 1024–65535": replies come back on whichever one it picked.
      const natPorts = [1024, 3389, 5060, 32767, 65535].filter(
        (port) => !admits(shipped, protocol, port, "54.244.51.2"),
      );
      expect(natPorts).toEqual([]);
      // Linux's ephemeral range, for the single instance's own connections (apt, SSM, DNS).
      expect(admits(shipped, protocol, 32768, "151.101.2.132")).toBe(true);
      expect(admits(shipped, protocol, 60999, "151.101.2.132")).toBe(true);
    }
  });

  it("denies port 22 from anywhere, and admits it from the operator network only when one is set", () => {
    expect(admits(shipped, "tcp", 22, "198.51.100.7")).toBe(false);
    expect(admits(shipped, "udp", 22, "198.51.100.7")).toBe(false);
    expect(admits(shipped, "tcp", 22, "203.0.113.5")).toBe(false);
    const withSsh = defaultNetworkAclIngress(operator);
    expect(admits(withSsh, "tcp", 22, "203.0.113.5")).toBe(true);
    expect(admits(withSsh, "tcp", 22, "198.51.100.7")).toBe(false);
  });

  it("adopts the default ACL for every subnet of the VPC", () => {
    const stack = new TerraformStack(Testing.app(), "acl");
    new Vpc(stack, "vpc", {
      namePrefix: "sip-proxy-test",
      cidr: "10.0.0.0/16",
      publicSubnets: [{ availabilityZone: "us-east-1a", cidr: "10.0.0.0/20" }],
      privateSubnets: [{ availabilityZone: "us-east-1a", cidr: "10.0.128.0/20" }],
      natGateways: "single",
      protectAddresses: true,
      sshCidr: operator,
    });
    const acl = Object.values(
      (JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, Record<string, unknown>>> })
        .resource.aws_default_network_acl,
    )[0];
    expect(acl.subnet_ids).toEqual([
      expect.stringMatching(/^\$\{aws_subnet\.vpc_public-us-east-1a_\w+\.id\}$/),
      expect.stringMatching(/^\$\{aws_subnet\.vpc_private-us-east-1a_\w+\.id\}$/),
    ]);
    expect((acl.ingress as Array<{ rule_no: number }>).map((r) => r.rule_no)).toEqual([90, 100, 101, 200]);
  });
});

import { Testing, TerraformStack } from "cdktf";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc as AwsVpc } from "@cdktf/provider-aws/lib/vpc";
import { Vpc } from "../../constructs/vpc";

function synthVpc(zones: string[]): string {
  const stack = new TerraformStack(Testing.app(), "test");
  new Vpc(stack, "vpc", {
    namePrefix: "sip-proxy-test",
    cidr: "10.0.0.0/16",
    publicSubnets: zones.map((az, i) => ({ availabilityZone: az, cidr: `10.0.${i * 16}.0/20` })),
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

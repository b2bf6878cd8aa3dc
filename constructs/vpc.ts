import { DefaultNetworkAcl } from "@cdktf/provider-aws/lib/default-network-acl";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc as AwsVpc } from "@cdktf/provider-aws/lib/vpc";
import { ConstructError } from "./construct-error";

export interface SubnetSpec {
  readonly availabilityZone: string;
  readonly cidr: string;
}

export interface VpcProps {
  /** Prefix for Name tags, e.g. `sip-proxy-dev`. */
  readonly namePrefix: string;
  readonly cidr: string;
  /** One public subnet per entry, routed to the internet gateway. At least one. */
  readonly publicSubnets: readonly SubnetSpec[];
  /**
   * Private subnets, routed to the internet through NAT gateways. Each zone needs a public
   * subnet (where its NAT gateway lives).
   * @default [] — no private subnets, no NAT
   */
  readonly privateSubnets?: readonly SubnetSpec[];
  /**
   * NAT gateways for the private subnets, each with its own Elastic IP (the egress address a
   * destination whitelists). "single": one, in the first zone; every private subnet uses it.
   * "per-az": one per zone, so losing a zone does not cut the others' egress.
   * Required with private subnets (config/schema.ts holds the default); ignored without.
   */
  readonly natGateways?: "single" | "per-az";
  /**
   * prevent_destroy on the Elastic IP(s): the addresses Twilio dials or whitelists.
   */
  readonly protectAddresses: boolean;
  /** The operator network allowed to SSH (the network ACL lets it through). @default none */
  readonly sshCidr?: string;
}

/** Where a network ACL rule's traffic comes from, and what the rule does with it. */
export interface NetworkAclRule {
  readonly ruleNo: number;
  readonly action: "allow" | "deny";
  /** "tcp", "udp" or "-1" (all). */
  readonly protocol: string;
  readonly cidrBlock: string;
  readonly fromPort: number;
  readonly toPort: number;
}

/**
 * The default network ACL's inbound rules. Network ACLs are stateless, so every reply the
 * stacks need must be let in: a NAT gateway's return traffic arrives on whichever port from
 * 1024 to 65535 it translated to ("NAT gateway uses ports 1024–65535", VPC user guide,
 * network ACLs for NAT gateways), the instances' own connections on Linux ephemeral ports,
 * and SIP on its port from Twilio. Port 22 is denied from anywhere but the operator network
 * (FSBP EC2.21); 3389 is not, as a NAT gateway may pick it for a mapping, and a SIP mapping
 * kept busy never idles out: one instance's calls to one destination would fail for good.
 */
export function defaultNetworkAclIngress(sshCidr?: string): NetworkAclRule[] {
  const anywhere = "0.0.0.0/0";
  return [
    ...(sshCidr
      ? [{ ruleNo: 90, action: "allow" as const, protocol: "tcp", cidrBlock: sshCidr, fromPort: 22, toPort: 22 }]
      : []),
    { ruleNo: 100, action: "deny", protocol: "tcp", cidrBlock: anywhere, fromPort: 22, toPort: 22 },
    { ruleNo: 101, action: "deny", protocol: "udp", cidrBlock: anywhere, fromPort: 22, toPort: 22 },
    { ruleNo: 200, action: "allow", protocol: "-1", cidrBlock: anywhere, fromPort: 0, toPort: 0 },
  ];
}

/**
 * The network: a VPC, one public subnet per availability zone and an internet gateway, and
 * optionally private subnets that reach the internet through NAT gateways. Construct ids
 * are keyed by zone name, so adding a zone never renumbers (and replaces) an existing subnet.
 * Each private subnet has its own route table, so switching NAT modes only edits routes.
 */
export class Vpc extends Construct {
  readonly vpc: AwsVpc;
  /** The VPC's default network ACL, adopted: port 22 closed to all but the operator network. */
  readonly defaultNetworkAcl: DefaultNetworkAcl;
  readonly publicSubnets: readonly Subnet[];
  readonly publicRouteTable: RouteTable;
  readonly privateSubnets: readonly Subnet[];
  readonly natGateways: readonly NatGateway[];
  /** Elastic IPs of the NAT gateways, in zone order: the private subnets' egress addresses. */
  readonly natElasticIps: readonly Eip[];
  readonly internetGateway: InternetGateway;
  /**
   * What must exist before something in a public subnet reaches the internet: the route to
   * the internet gateway. A first boot installs packages, so instances depend on it.
   */
  readonly publicEgress: readonly ITerraformDependable[];
  /** The same for the private subnets: every route through a NAT gateway. */
  readonly privateEgress: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: VpcProps) {
    super(scope, id);
    if (props.publicSubnets.length === 0) throw new ConstructError(this, "needs at least one public subnet");

    this.vpc = new AwsVpc(this, "Default", {
      cidrBlock: props.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: props.namePrefix },
    });

    // The default security group, adopted and emptied: "When Terraform first adopts the
    // default security group, it immediately removes all ingress and egress rules" (provider
    // docs, aws_default_security_group). Nothing here uses it (FSBP EC2.2).
    new DefaultSecurityGroup(this, "default-sg", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.namePrefix}-default-unused` },
    });

    const igw = (this.internetGateway = new InternetGateway(this, "igw", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.namePrefix}-igw` },
    }));

    this.publicRouteTable = new RouteTable(this, "public", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.namePrefix}-public` },
    });
    const publicInternet = new Route(this, "public-internet", {
      routeTableId: this.publicRouteTable.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });
    this.publicEgress = [publicInternet];

    this.publicSubnets = props.publicSubnets.map((spec) => {
      const subnet = new Subnet(this, `public-${spec.availabilityZone}`, {
        vpcId: this.vpc.id,
        cidrBlock: spec.cidr,
        availabilityZone: spec.availabilityZone,
        // Instances get addresses explicitly (Elastic IP, NLB); nothing is public by accident.
        mapPublicIpOnLaunch: false,
        tags: { Name: `${props.namePrefix}-public-${spec.availabilityZone}`, Tier: "public" },
      });
      new RouteTableAssociation(this, `public-${spec.availabilityZone}-routes`, {
        subnetId: subnet.id,
        routeTableId: this.publicRouteTable.id,
      });
      return subnet;
    });

    const privateSpecs = props.privateSubnets ?? [];
    const publicByZone = new Map(props.publicSubnets.map((spec, i) => [spec.availabilityZone, this.publicSubnets[i]]));
    for (const spec of privateSpecs) {
      if (!publicByZone.has(spec.availabilityZone)) {
        throw new ConstructError(
          this,
          `private subnet in ${spec.availabilityZone} has no public subnet for its NAT gateway`,
        );
      }
    }
    if (privateSpecs.length > 0 && props.natGateways === undefined) {
      throw new ConstructError(this, 'private subnets need natGateways ("single" or "per-az")');
    }
    const natZones =
      privateSpecs.length === 0
        ? []
        : props.natGateways === "single"
          ? [privateSpecs[0].availabilityZone]
          : privateSpecs.map((spec) => spec.availabilityZone);

    // Keyed by zone: going from "single" to "per-az" adds gateways and keeps the first one
    // (and the egress IP already whitelisted at the destination).
    this.natElasticIps = natZones.map(
      (az) =>
        new Eip(this, `nat-${az}`, {
          domain: "vpc",
          tags: { Name: `${props.namePrefix}-nat-${az}` },
          lifecycle: { preventDestroy: props.protectAddresses },
        }),
    );
    this.natGateways = natZones.map(
      (az, i) =>
        new NatGateway(this, `nat-${az}-gateway`, {
          allocationId: this.natElasticIps[i].allocationId,
          subnetId: publicByZone.get(az)!.id,
          tags: { Name: `${props.namePrefix}-nat-${az}` },
          dependsOn: [igw],
        }),
    );
    const natForZone = (az: string) => this.natGateways[natZones.includes(az) ? natZones.indexOf(az) : 0];

    const privateEgress: Route[] = [];
    this.privateSubnets = privateSpecs.map((spec) => {
      const subnet = new Subnet(this, `private-${spec.availabilityZone}`, {
        vpcId: this.vpc.id,
        cidrBlock: spec.cidr,
        availabilityZone: spec.availabilityZone,
        mapPublicIpOnLaunch: false,
        tags: { Name: `${props.namePrefix}-private-${spec.availabilityZone}`, Tier: "private" },
      });
      const table = new RouteTable(this, `private-${spec.availabilityZone}-table`, {
        vpcId: this.vpc.id,
        tags: { Name: `${props.namePrefix}-private-${spec.availabilityZone}` },
      });
      privateEgress.push(
        new Route(this, `private-${spec.availabilityZone}-egress`, {
          routeTableId: table.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: natForZone(spec.availabilityZone).id,
        }),
      );
      new RouteTableAssociation(this, `private-${spec.availabilityZone}-routes`, {
        subnetId: subnet.id,
        routeTableId: table.id,
      });
      return subnet;
    });
    this.privateEgress = privateEgress;

    // Adopted like the default security group. Every subnet here uses it, and is listed: the
    // provider shows a subnet associated with the default ACL but not named in subnet_ids as
    // a difference on every plan (aws_default_network_acl, "Managing Subnets").
    this.defaultNetworkAcl = new DefaultNetworkAcl(this, "default-nacl", {
      defaultNetworkAclId: this.vpc.defaultNetworkAclId,
      subnetIds: [...this.publicSubnets, ...this.privateSubnets].map((subnet) => subnet.id),
      ingress: defaultNetworkAclIngress(props.sshCidr),
      egress: [{ ruleNo: 100, action: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 }],
      tags: { Name: `${props.namePrefix}-default` },
    });
  }
}

import { Construct } from "constructs";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc as AwsVpc } from "@cdktf/provider-aws/lib/vpc";

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
}

/**
 * The network: a VPC, one public subnet per availability zone and an internet gateway.
 * Subnet construct ids are keyed by zone name, so adding a zone never renumbers (and
 * replaces) an existing subnet. Private subnets and NAT belong here too when an
 * architecture needs them.
 */
export class Vpc extends Construct {
  readonly vpc: AwsVpc;
  readonly publicSubnets: readonly Subnet[];
  readonly publicRouteTable: RouteTable;

  constructor(scope: Construct, id: string, props: VpcProps) {
    super(scope, id);
    if (props.publicSubnets.length === 0) throw new Error("Vpc needs at least one public subnet");

    this.vpc = new AwsVpc(this, "Default", {
      cidrBlock: props.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: props.namePrefix },
    });

    const igw = new InternetGateway(this, "igw", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.namePrefix}-igw` },
    });

    this.publicRouteTable = new RouteTable(this, "public", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.namePrefix}-public` },
    });
    new Route(this, "public-internet", {
      routeTableId: this.publicRouteTable.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });

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
  }
}

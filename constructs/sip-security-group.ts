import { Construct } from "constructs";
import { SecurityGroup, type SecurityGroupIngress } from "@cdktf/provider-aws/lib/security-group";

/** Who may send SIP: address ranges, or members of another security group (the NLB's). */
export type SipSource =
  | {
      /** Who this is, for the rule description (shown in the console and in diffs). */
      readonly label: string;
      readonly cidrs: readonly string[];
    }
  | { readonly label: string; readonly securityGroupId: string };

const from = (source: SipSource) =>
  "cidrs" in source ? { cidrBlocks: [...source.cidrs] } : { securityGroups: [source.securityGroupId] };

export interface SipSecurityGroupProps {
  /** Prefix for the name and Name tag, e.g. `sip-proxy-dev`. */
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly description: string;
  /** The SIP port, opened for UDP and TCP. */
  readonly port: number;
  /** Each source gets a UDP and a TCP rule on the SIP port, in this order. */
  readonly sipSources: readonly SipSource[];
  /**
   * TLS listener port: opened over TCP to the same sources (the destination sends in-dialog
   * requests back over TLS). @default none — no TLS rule
   */
  readonly tlsPort?: number;
  /** @default none — no port 22 rule; shell access is by SSM Session Manager. */
  readonly sshCidr?: string;
  /**
   * Where the group's members may send. @default everywhere — SIP to a DNS-named destination
   * whose addresses change, DNS, apt, SSM
   */
  readonly egressCidr?: string;
  /** Name part after the prefix, e.g. `sip` or `nlb`. @default "sip" */
  readonly role?: string;
}

/**
 * The proxies' security group: SIP in from the given sources only, everything out (SIP to a
 * DNS-named destination whose addresses change, DNS, apt, SSM).
 */
export class SipSecurityGroup extends Construct {
  readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: SipSecurityGroupProps) {
    super(scope, id);
    const ingress: SecurityGroupIngress[] = props.sipSources.flatMap((source) =>
      (["udp", "tcp"] as const).map((protocol) => ({
        description: `SIP over ${protocol.toUpperCase()} from ${source.label}`,
        protocol,
        fromPort: props.port,
        toPort: props.port,
        ...from(source),
      })),
    );
    if (props.tlsPort !== undefined) {
      for (const source of props.sipSources) {
        ingress.push({
          description: `SIP over TLS from ${source.label}`,
          protocol: "tcp",
          fromPort: props.tlsPort,
          toPort: props.tlsPort,
          ...from(source),
        });
      }
    }
    if (props.sshCidr) {
      ingress.push({
        description: "SSH from the operator network",
        protocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrBlocks: [props.sshCidr],
      });
    }

    const role = props.role ?? "sip";
    const egress = props.egressCidr
      ? // A load balancer's group: only what it forwards, and its health checks, which "are
        // subject to outbound rules, but not inbound rules" (ELB, NLB security groups).
        [props.port, ...(props.tlsPort === undefined ? [] : [props.tlsPort])].flatMap((port) =>
          (port === props.port ? (["udp", "tcp"] as const) : (["tcp"] as const)).map((protocol) => ({
            description: `SIP over ${protocol.toUpperCase()} to the targets${port === props.port ? "" : " (TLS)"}, and health checks`,
            protocol,
            fromPort: port,
            toPort: port,
            cidrBlocks: [props.egressCidr!],
          })),
        )
      : [{ description: "All outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }];
    this.securityGroup = new SecurityGroup(this, "Default", {
      // A prefix, never a fixed name: create_before_destroy creates the replacement while the
      // old group still exists, and EC2 refuses a second group of the same name in a VPC
      // (InvalidGroup.Duplicate). Terraform appends a unique suffix to name_prefix.
      namePrefix: `${props.namePrefix}-${role}-`,
      description: props.description,
      vpcId: props.vpcId,
      ingress,
      egress,
      tags: { Name: `${props.namePrefix}-${role}` },
      lifecycle: { createBeforeDestroy: true },
    });
  }
}

// The network twin's packet path for the load-balanced architecture: Linux network namespaces
// joined by veth links, with nftables doing what AWS's NLB and NAT gateway do to packets
// (lab/twin/MODEL.md lists each behaviour and the AWS sentence it follows). Nothing in it is
// routed to the host: the only links are between namespaces this module created.
//
//   twilio ns (Twilio's edge addresses)
//      | 100.64.0.1/30 <-> 100.64.0.2/30
//   aws ns: NLB (DNAT by flow hash, client IP kept) and NAT gateway (SNAT, ports rewritten)
//      | 10.0.<8+i>.1/24 <-> 10.0.<8+i>.10/24, one link per instance (private subnets)
//   instance ns i (Kamailio listens on its private address)
import { NetworkNamespace } from "../netns";

/** AWS's idle timeouts, in seconds, before scaling. */
export const AWS_IDLE_SECONDS = {
  /** "For UDP flows, the idle timeout is 120 seconds" (ELB user guide, NLB idle timeout). */
  nlbUdp: 120,
  /** "The default idle timeout value for TCP flows is 350 seconds" (same page). */
  nlbTcp: 350,
  /** "If a connection that's using a NAT gateway is idle for 350 seconds or more, the connection times out" (VPC user guide). */
  natGateway: 350,
} as const;

export interface LoadBalancedTwinOptions {
  /** Instances (targets) behind the NLB. @default 2 */
  readonly instances?: number;
  /** AWS's idle timeouts are multiplied by this (the tests run them shorter). @default 1 / 20 */
  readonly timeScale?: number;
  /** Ports the NLB listens on (UDP and TCP). @default [5060] */
  readonly ports?: readonly number[];
}

export const TWIN_ADDRESSES = {
  /** The NLB's Elastic IP: what Twilio dials. */
  nlb: "203.0.113.10",
  /** The NAT gateway's Elastic IP: what the destination sees and lists in its IP ACL. */
  nat: "203.0.113.20",
  /** Twilio edges the twin's source and destination peers use (Ashburn, Umatilla). */
  sourceEdge: "54.172.60.1",
  destinationEdge: "54.244.51.1",
} as const;

export class LoadBalancedTwin {
  private constructor(
    readonly twilio: NetworkNamespace,
    readonly aws: NetworkNamespace,
    readonly instances: readonly { readonly ns: NetworkNamespace; readonly privateIp: string }[],
    /** Scaled idle timeouts in seconds, as applied. */
    readonly idleSeconds: { readonly nlbUdp: number; readonly nlbTcp: number; readonly natGateway: number },
  ) {}

  static build(options: LoadBalancedTwinOptions = {}): LoadBalancedTwin {
    const count = options.instances ?? 2;
    const scale = options.timeScale ?? 1 / 20;
    const ports = options.ports ?? [5060];
    const made: NetworkNamespace[] = [];
    try {
      const twilio = NetworkNamespace.create("twtw");
      made.push(twilio);
      const aws = NetworkNamespace.create("twaws");
      made.push(aws);
      twilio.addAddresses(TWIN_ADDRESSES.sourceEdge, TWIN_ADDRESSES.destinationEdge);
      twilio.link("edge0", "100.64.0.1/30", aws, "inet0", "100.64.0.2/30");
      twilio.ip("route", "add", "default", "via", "100.64.0.2");
      aws.ip("route", "add", "default", "via", "100.64.0.1");
      aws.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);

      const instances = [];
      for (let i = 0; i < count; i++) {
        const ns = NetworkNamespace.create(`twi${i}`);
        made.push(ns);
        const privateIp = `10.0.${8 + i}.10`;
        aws.link(`i${i}`, `10.0.${8 + i}.1/24`, ns, "eth0", `${privateIp}/24`);
        ns.ip("route", "add", "default", "via", `10.0.${8 + i}.1`);
        instances.push({ ns, privateIp });
      }

      const idleSeconds = {
        nlbUdp: Math.max(1, Math.round(AWS_IDLE_SECONDS.nlbUdp * scale)),
        nlbTcp: Math.max(1, Math.round(AWS_IDLE_SECONDS.nlbTcp * scale)),
        natGateway: Math.max(1, Math.round(AWS_IDLE_SECONDS.natGateway * scale)),
      };
      aws.run(
        ["nft", "-f", "-"],
        ruleset(
          instances.map((i) => i.privateIp),
          ports,
          idleSeconds,
        ),
      );
      return new LoadBalancedTwin(twilio, aws, instances, idleSeconds);
    } catch (error) {
      for (const ns of made) ns.destroy();
      throw error;
    }
  }

  destroy(): void {
    for (const { ns } of this.instances) ns.destroy();
    this.aws.destroy();
    this.twilio.destroy();
  }
}

/** An nftables conntrack timeout policy (seconds per connection state). */
const timeoutPolicy = (name: string, protocol: "udp" | "tcp", policy: string) =>
  `  ct timeout ${name} {\n    protocol ${protocol}\n    l3proto ip\n    policy = { ${policy} }\n  }`;

/**
 * NLB: new flows to the NLB address are DNATed to a target chosen by a hash of the flow's
 * source (client IP kept, no SNAT); conntrack sends the replies back with the NLB address.
 * NAT gateway: any other flow from the private subnets leaves with the NAT address and a
 * random source port. Each has its own idle timeout (conntrack timeout policies).
 */
function ruleset(
  targets: readonly string[],
  ports: readonly number[],
  idle: { nlbUdp: number; nlbTcp: number; natGateway: number },
): string {
  const map = targets.map((t, i) => `${i} : ${t}`).join(", ");
  const portSet = `{ ${ports.join(", ")} }`;
  return `
table ip twin {
${timeoutPolicy("nlb-udp", "udp", `unreplied : ${idle.nlbUdp}, replied : ${idle.nlbUdp}`)}
${timeoutPolicy("nlb-tcp", "tcp", `established : ${idle.nlbTcp}`)}
${timeoutPolicy("nat-udp", "udp", `unreplied : ${idle.natGateway}, replied : ${idle.natGateway}`)}
${timeoutPolicy("nat-tcp", "tcp", `established : ${idle.natGateway}`)}

  chain timeouts {
    type filter hook prerouting priority filter; policy accept;
    ct state new ct original ip daddr ${TWIN_ADDRESSES.nlb} meta l4proto udp ct timeout set "nlb-udp"
    ct state new ct original ip daddr ${TWIN_ADDRESSES.nlb} meta l4proto tcp ct timeout set "nlb-tcp"
    ct state new ip saddr 10.0.0.0/16 meta l4proto udp ct timeout set "nat-udp"
    ct state new ip saddr 10.0.0.0/16 meta l4proto tcp ct timeout set "nat-tcp"
  }

  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${TWIN_ADDRESSES.nlb} meta l4proto { udp, tcp } th dport ${portSet} dnat to jhash ip saddr . th sport mod ${targets.length} map { ${map} }
  }

  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.0.0.0/16 oifname "inet0" snat to ${TWIN_ADDRESSES.nat} random
  }
}
`;
}

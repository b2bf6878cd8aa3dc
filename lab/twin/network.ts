// The network twin's packet path for both architectures: Linux network namespaces joined by
// veth links, with nftables doing what AWS does to packets (lab/twin/MODEL.md lists each
// behaviour and the AWS sentence it follows). Nothing in it is routed to the host: the only
// links are between namespaces this module created.
//
//   twilio ns (Twilio's edge addresses)
//      | 100.64.0.1/30 <-> 100.64.0.2/30
//   aws ns: single: the instance's Elastic IP (1:1 NAT, ports kept);
//           load-balanced: NLB (DNAT by flow hash, client IP kept), NAT gateway (SNAT, ports rewritten)
//      | 10.0.<8+i>.1/24 <-> 10.0.<8+i>.10/24, one link per instance
//   instance ns i (Kamailio listens on its private address)
import { AWS_IDLE_SECONDS, NLB_TARGET_HEALTH } from "../../config/aws-network";
import { TWILIO_SIGNALING_CIDRS } from "../../config/twilio";
import { NetworkNamespace } from "../netns";
import { startNlbHealth, type NlbHealth } from "./nlb-health";

export type TwinArchitecture = "single" | "load-balanced";

export interface TwinOptions {
  /** Instances (targets) behind the NLB; always 1 for "single". @default 2 */
  readonly instances?: number;
  /** AWS's idle timeouts are multiplied by this (the tests run them shorter). @default 1 / 20 */
  readonly timeScale?: number;
  /** Ports the NLB listens on (UDP and TCP). @default [5060] */
  readonly ports?: readonly number[];
  /** Targets registered with the NLB at the start, the first ones. @default all */
  readonly registered?: number;
  /** The target group's health check, in AWS's (unscaled) seconds. @default NLB_TARGET_HEALTH */
  readonly targetHealth?: Partial<Record<keyof typeof NLB_TARGET_HEALTH, number>>;
}

/** The AWS side's public addresses (Elastic IPs) all sit in this documentation range. */
const PUBLIC_RANGE = "203.0.113.0/24";

export const TWIN_ADDRESSES = {
  /** The NLB's Elastic IP: what Twilio dials. */
  nlb: "203.0.113.10",
  /** The NAT gateway's Elastic IP: what the destination sees and lists in its IP ACL. */
  nat: "203.0.113.20",
  /** The single instance's Elastic IP: dialled by Twilio and seen by the destination. */
  elasticIp: "203.0.113.30",
  /** Twilio edges the twin's source and destination peers use (Ashburn, Umatilla). */
  sourceEdge: "54.172.60.1",
  destinationEdge: "54.244.51.1",
} as const;

export class NetworkTwin {
  private constructor(
    readonly architecture: TwinArchitecture,
    readonly twilio: NetworkNamespace,
    readonly aws: NetworkNamespace,
    readonly instances: readonly { readonly ns: NetworkNamespace; readonly privateIp: string }[],
    /** Scaled idle timeouts in seconds, as applied. */
    readonly idleSeconds: { readonly nlbUdp: number; readonly nlbTcp: number; readonly natGateway: number },
    /** The factor AWS's timeouts were scaled by; Kamailio's timers get the same (lab/twin/sip.ts). */
    readonly timeScale: number,
    /** The NLB's target health checks and registrations (load-balanced only). */
    readonly health: NlbHealth | undefined,
  ) {}

  static build(architecture: TwinArchitecture, options: TwinOptions = {}): NetworkTwin {
    const count = architecture === "single" ? 1 : (options.instances ?? 2);
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
      // Only the AWS side's public addresses are reachable from "the internet": anything else
      // (a resolver the root's resolv.conf names, say) is unreachable at once, not a timeout.
      twilio.ip("route", "add", PUBLIC_RANGE, "via", "100.64.0.2");
      twilio.run(["nft", "-f", "-"], FRAGMENT_DROPPING_HOP);
      for (const cidr of TWILIO_SIGNALING_CIDRS) aws.ip("route", "add", cidr, "via", "100.64.0.1");
      aws.ip("route", "add", "unreachable", "default");
      aws.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);

      const instances = [];
      for (let i = 0; i < count; i++) {
        const ns = NetworkNamespace.create(`twi${i}`);
        made.push(ns);
        const privateIp = `10.0.${8 + i}.10`;
        aws.link(`i${i}`, `10.0.${8 + i}.1/24`, ns, "eth0", `${privateIp}/24`);
        // Routes to Twilio's edges only (an instance's real default route leads to the
        // internet): a lookup of the root's resolver then fails at once instead of timing out.
        for (const cidr of TWILIO_SIGNALING_CIDRS) ns.ip("route", "add", cidr, "via", `10.0.${8 + i}.1`);
        instances.push({ ns, privateIp });
      }

      const idleSeconds = {
        nlbUdp: Math.max(1, Math.round(AWS_IDLE_SECONDS.nlbUdp * scale)),
        nlbTcp: Math.max(1, Math.round(AWS_IDLE_SECONDS.nlbTcp * scale)),
        natGateway: Math.max(1, Math.round(AWS_IDLE_SECONDS.natGateway * scale)),
      };
      const targets = instances.map((i) => i.privateIp);
      if (architecture === "single") {
        aws.run(["nft", "-f", "-"], elasticIpRuleset(targets[0]));
        return new NetworkTwin(architecture, twilio, aws, instances, idleSeconds, scale, undefined);
      }
      aws.run(["nft", "-f", "-"], loadBalancedRuleset(targets, ports, idleSeconds));
      // A NAT gateway answers a packet of a timed-out TCP connection with a reset (MODEL.md):
      // conntrack must not adopt a mid-stream segment as a new connection.
      aws.run(["sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0"]);
      const health = { ...NLB_TARGET_HEALTH, ...options.targetHealth };
      const ms = (seconds: number) => Math.max(1, Math.round(seconds * 1000 * scale));
      const nlbHealth = startNlbHealth(aws, {
        table: "twin",
        map: "targets",
        zone: NLB_ZONE,
        targets,
        registered: targets.slice(0, options.registered ?? targets.length),
        port: ports[0],
        intervalMs: ms(health.intervalSeconds),
        timeoutMs: ms(health.timeoutSeconds),
        healthyThreshold: health.healthyThreshold,
        unhealthyThreshold: health.unhealthyThreshold,
        deregistrationDelayMs: ms(health.deregistrationDelaySeconds),
      });
      return new NetworkTwin(architecture, twilio, aws, instances, idleSeconds, scale, nlbHealth);
    } catch (error) {
      for (const ns of made) ns.destroy();
      throw error;
    }
  }

  /** Where Twilio dials: the Elastic IP (single) or the NLB's (load-balanced). */
  get ingress(): string {
    return this.architecture === "single" ? TWIN_ADDRESSES.elasticIp : TWIN_ADDRESSES.nlb;
  }

  /** Where calls leave from, as the destination sees them: its IP ACL lists exactly these. */
  get egress(): readonly string[] {
    return this.architecture === "single" ? [TWIN_ADDRESSES.elasticIp] : [TWIN_ADDRESSES.nat];
  }

  destroy(): void {
    this.health?.stop();
    for (const { ns } of this.instances) ns.destroy();
    this.aws.destroy();
    this.twilio.destroy();
  }
}

/** An nftables conntrack timeout policy (seconds per connection state). */
const timeoutPolicy = (name: string, protocol: "udp" | "tcp", policy: string) =>
  `  ct timeout ${name} {\n    protocol ${protocol}\n    l3proto ip\n    policy = { ${policy} }\n  }`;

/**
 * NLB: new flows to the NLB address are DNATed to a target chosen by a hash of the client's
 * address (the target group's source_ip stickiness; client IP kept, no SNAT) over the map
 * `targets`, which lab/twin/nlb-health-check.mjs rewrites as targets fail health checks or are
 * deregistered; conntrack sends the replies back with the NLB address.
 * NAT gateway: any other flow from the private subnets leaves with the NAT address and a
 * random source port. Each has its own idle timeout (conntrack timeout policies).
 *
 * In AWS these are two devices, and a packet from an instance that reverses a live NLB flow
 * goes to the NLB even when the NAT gateway also holds a mapping for that tuple (an earlier
 * request from the same port). In one conntrack table the older entry would win, so the two
 * devices get their own conntrack zones: NLB flows (and packets that reverse one, known from
 * the `nlb_flows` set, refreshed both ways with the NLB's idle timeout) in zone 1, everything
 * else in zone 2.
 */
function loadBalancedRuleset(
  targets: readonly string[],
  ports: readonly number[],
  idle: { nlbUdp: number; nlbTcp: number; natGateway: number },
): string {
  const slots = targets.map((t, i) => `${i} : ${t}`).join(", ");
  const portSet = `{ ${ports.join(", ")} }`;
  // From the instance's side: instance address . its port . client address . client port.
  const fromInstance = "ip saddr . th sport . ip daddr . th dport";
  const towardsInstance = "ip daddr . th dport . ip saddr . th sport";
  return `
table ip twin {
${timeoutPolicy("nlb-udp", "udp", `unreplied : ${idle.nlbUdp}, replied : ${idle.nlbUdp}`)}
${timeoutPolicy("nlb-tcp", "tcp", `established : ${idle.nlbTcp}`)}
${timeoutPolicy("nat-udp", "udp", `unreplied : ${idle.natGateway}, replied : ${idle.natGateway}`)}
${timeoutPolicy("nat-tcp", "tcp", `established : ${idle.natGateway}`)}

  map targets {
    typeof numgen inc mod ${targets.length} : ip daddr
    elements = { ${slots} }
  }

  set nlb_flows {
    type ipv4_addr . inet_service . ipv4_addr . inet_service
    flags dynamic, timeout
    timeout ${idle.nlbUdp}s
  }

  chain zones {
    type filter hook prerouting priority raw; policy accept;
    fib daddr type local accept
    iifname "inet0" ip daddr ${TWIN_ADDRESSES.nlb} ct zone set ${NLB_ZONE} accept
    iifname "inet0" ct zone set ${NAT_ZONE} accept
    meta l4proto { udp, tcp } ${fromInstance} @nlb_flows update @nlb_flows { ${fromInstance} } ct zone set ${NLB_ZONE} accept
    ct zone set ${NAT_ZONE}
  }

  chain learn {
    type filter hook forward priority filter; policy accept;
    iifname "inet0" ct original ip daddr ${TWIN_ADDRESSES.nlb} meta l4proto { udp, tcp } update @nlb_flows { ${towardsInstance} }
    ip saddr 10.0.0.0/16 oifname "inet0" meta l4proto tcp ct state invalid reject with tcp reset
  }

  chain timeouts {
    type filter hook prerouting priority filter; policy accept;
    ct state new ct original ip daddr ${TWIN_ADDRESSES.nlb} meta l4proto udp ct timeout set "nlb-udp"
    ct state new ct original ip daddr ${TWIN_ADDRESSES.nlb} meta l4proto tcp ct timeout set "nlb-tcp"
    ct state new ip saddr 10.0.0.0/16 meta l4proto udp ct timeout set "nat-udp"
    ct state new ip saddr 10.0.0.0/16 meta l4proto tcp ct timeout set "nat-tcp"
  }

  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${TWIN_ADDRESSES.nlb} meta l4proto { udp, tcp } th dport ${portSet} dnat to jhash ip saddr mod ${targets.length} map @targets
  }

  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.0.0.0/16 oifname "inet0" snat to ${TWIN_ADDRESSES.nat} random
  }
}
`;
}

/**
 * The internet path into Twilio's edges drops IP fragments. INC-979: 1,460-byte INVITEs from
 * a proxy in AWS reached Twilio, 1,800-byte ones (fragmented at a 1,500-byte MTU) did not, and
 * "Twilio confirmed calls never reached their systems". A NAT gateway forwards UDP fragments
 * (VPC user guide, NAT gateway and NAT instance comparison: "Supports forwarding of IP
 * fragmented packets for the UDP protocol"), so the loss was past AWS's egress: the twin drops
 * fragments arriving at Twilio's side. Before conntrack's defragmentation (priority -400).
 */
const FRAGMENT_DROPPING_HOP = `
table ip internet {
  chain fragments {
    type filter hook prerouting priority -500; policy accept;
    iifname "edge0" ip frag-off & 0x3fff != 0 counter drop
  }
}
`;

/** Conntrack zones of the NLB and the NAT gateway (one zone for both merges their flows). */
const NLB_ZONE = 1;
const NAT_ZONE = 2;

/**
 * An Elastic IP: "a one-to-one NAT" between the public address and the instance's private
 * address (EC2 user guide, "Elastic IP addresses"); traffic in keeps its source, traffic out
 * leaves with the Elastic IP and its own port.
 */
function elasticIpRuleset(instance: string): string {
  return `
table ip twin {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${TWIN_ADDRESSES.elasticIp} dnat to ${instance}
  }

  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr ${instance} oifname "inet0" snat to ${TWIN_ADDRESSES.elasticIp}
  }
}
`;
}

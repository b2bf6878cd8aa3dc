// What a call meets on its way through one environment, read from the synthesized stack (the
// JSON `cdktf deploy` applies) and, for the two Twilio ends, from the environment's config:
// source Twilio -> the addresses it dials -> the proxies -> the addresses the destination
// whitelists -> destination Twilio. Synth knows no IP address, so every address is named
// symbolically after what it is and where it lives ("NLB EIP us-east-1a"), with the stack
// output that prints the real one after a deploy.
import type { EnvironmentConfig } from "../../config/schema";
import { ANY_ACCOUNT, PLACEHOLDER_ACCOUNT_SID, TWILIO_SIGNALING_CIDRS } from "../../config/twilio";
import type { StackJson } from "./stack-json";

/** Which Elastic IPs carry calls, and how. */
export type AddressKind = "nlb" | "nat" | "instance";

export interface PictureAddress {
  /** Terraform address, e.g. `aws_eip.proxy_nlb_us_east_1a`. */
  readonly resource: string;
  readonly kind: AddressKind;
  readonly zone: string;
  /** Symbolic name shown in place of the address, e.g. `NLB EIP us-east-1a`. */
  readonly label: string;
  /** The stack output that prints the real address after a deploy, e.g. `nlb_elastic_ips[0]`. */
  readonly output?: string;
}

export interface ProxyZone {
  readonly zone: string;
  readonly tier: "public" | "private";
  readonly cidr: string;
  /** The Elastic IP (resource) the zone's calls leave from. */
  readonly egress: string;
}

export interface NetworkModel {
  readonly environment: string;
  readonly stackName: string;
  readonly architecture: EnvironmentConfig["architecture"];
  readonly region: string;
  readonly vpcCidr: string;
  readonly source: {
    /** The Request-URI the source's TwiML dials, addresses symbolic. */
    readonly dials: string;
    readonly twilioEdges: number;
    readonly addedRanges: number;
    /** Account SIDs accepted, or "any". */
    readonly accounts: number | "any";
    readonly placeholderAccount: boolean;
    readonly digestAuth: boolean;
  };
  /** What the dial addresses accept, e.g. `UDP/TCP 5060`, `TLS 5061`. */
  readonly listeners: readonly string[];
  /** Addresses Twilio sends calls to, in zone order. */
  readonly dial: readonly PictureAddress[];
  /** A DNS name that lists the dial addresses, when the stack keeps one. */
  readonly dnsName?: string;
  readonly loadBalancer?: { readonly crossZone: boolean; readonly sourceIpStickiness: boolean };
  readonly proxies: {
    readonly instanceType: string;
    /** An Auto Scaling group's bounds; a single instance is 1..1. */
    readonly min: number;
    readonly desired: number;
    readonly max: number;
    readonly group: boolean;
    readonly zones: readonly ProxyZone[];
  };
  /** Addresses the destination sees calls come from (its IP ACL), in zone order. */
  readonly whitelist: readonly PictureAddress[];
  /** The output listing the IP ACL's entries (each whitelist address as a /32). */
  readonly aclOutput?: string;
  readonly destination: {
    readonly domain: string;
    /** In failover order, `host` or `host:port`. */
    readonly hosts: readonly string[];
    readonly transport: string;
  };
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** `${aws_subnet.vpc_public_us_east_1a.id}` -> `vpc_public_us_east_1a` for the given type. */
const refName = (value: unknown, type: string): string | undefined =>
  typeof value === "string" ? new RegExp(`^\\$\\{${type}\\.([A-Za-z0-9_-]+)\\.`).exec(value)?.[1] : undefined;

const str = (value: unknown): string => (typeof value === "string" ? value : String(value));

/** The stack holds something the picture has no place for: the message says what. */
export class PictureError extends Error {
  override name = "PictureError";
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new PictureError(`the stack has no ${what}: the network picture cannot place it`);
  return value;
}

/** The network picture's view of one synthesized stack. */
export function networkModel(cfg: EnvironmentConfig, stack: StackJson): NetworkModel {
  const r: Resources = stack.resource ?? {};
  const of = (type: string) => Object.entries(r[type] ?? {});

  const subnet = (name: string) => {
    const s = need(r.aws_subnet?.[name], `aws_subnet.${name}`);
    const tags = (s.tags ?? {}) as Record<string, string>;
    return {
      zone: str(s.availability_zone),
      cidr: str(s.cidr_block),
      tier: tags.Tier === "private" ? ("private" as const) : ("public" as const),
    };
  };

  // Each Elastic IP is an NLB's (one per zone), a NAT gateway's, or an instance's.
  const eips = new Map<string, { kind: AddressKind; zone: string }>();
  const claim = (eip: string | undefined, kind: AddressKind, zone: string) => {
    if (eip) eips.set(eip, { kind, zone });
  };
  const lbs = of("aws_lb");
  for (const [, lb] of lbs) {
    for (const m of (lb.subnet_mapping ?? []) as Record<string, unknown>[]) {
      claim(
        refName(m.allocation_id, "aws_eip"),
        "nlb",
        subnet(need(refName(m.subnet_id, "aws_subnet"), "subnet")).zone,
      );
    }
  }
  const natOfEip = new Map<string, string>();
  for (const [name, nat] of of("aws_nat_gateway")) {
    const eip = refName(nat.allocation_id, "aws_eip");
    claim(eip, "nat", subnet(need(refName(nat.subnet_id, "aws_subnet"), `subnet of NAT gateway ${name}`)).zone);
    if (eip) natOfEip.set(name, eip);
  }
  const eipOfInstance = new Map<string, string>();
  for (const [, assoc] of of("aws_eip_association")) {
    const eip = refName(assoc.allocation_id, "aws_eip");
    const instance = refName(assoc.instance_id, "aws_instance");
    if (!eip || !instance) continue;
    const i = need(r.aws_instance?.[instance], `aws_instance.${instance}`);
    claim(eip, "instance", subnet(need(refName(i.subnet_id, "aws_subnet"), `subnet of ${instance}`)).zone);
    eipOfInstance.set(instance, eip);
  }
  for (const [name] of of("aws_eip")) {
    if (!eips.has(name)) {
      throw new PictureError(
        `aws_eip.${name} belongs to no NLB, NAT gateway or instance: give it a place in scripts/lib/network-model.ts`,
      );
    }
  }

  // The output that prints an address as it is (not as an ACL entry): the one named for the
  // address's role (ingress_ips, egress_ips) when there is one, e.g. `ingress_ips[1]`.
  const outputOf = (eip: string, role: "ingress" | "egress"): string | undefined => {
    const wanted = `\${aws_eip.${eip}.public_ip}`;
    const found = Object.entries(stack.output ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([name, { value }]) =>
        value === wanted
          ? [name]
          : Array.isArray(value) && value.includes(wanted)
            ? [`${name}[${value.indexOf(wanted)}]`]
            : [],
      );
    return found.find((o) => o.startsWith(`${role}_`)) ?? found[0];
  };
  const KIND_LABEL: Record<AddressKind, string> = { nlb: "NLB EIP", nat: "NAT EIP", instance: "EIP" };
  const labelOf = (eip: string) => `${KIND_LABEL[eips.get(eip)!.kind]} ${eips.get(eip)!.zone}`;
  const address = (eip: string, role: "ingress" | "egress"): PictureAddress => {
    const { kind, zone } = eips.get(eip)!;
    const output = outputOf(eip, role);
    return { resource: `aws_eip.${eip}`, kind, zone, label: labelOf(eip), ...(output ? { output } : {}) };
  };
  const byZone = (a: PictureAddress, b: PictureAddress) => a.zone.localeCompare(b.zone);

  // The proxies: an Auto Scaling group in private subnets, or one instance with its own EIP.
  const instanceTypeOf = (template: unknown) => {
    const name = need(refName(template, "aws_launch_template"), "launch template reference");
    return { name, type: str(need(r.aws_launch_template?.[name], `aws_launch_template.${name}`).instance_type) };
  };
  // Where a subnet's calls leave: its route table's default route (NAT gateway -> its EIP).
  const egressOf = (subnetName: string, ownEip?: string): string => {
    const table = of("aws_route_table_association").find(
      ([, a]) => refName(a.subnet_id, "aws_subnet") === subnetName,
    )?.[1].route_table_id;
    const route = of("aws_route").find(
      ([, rt]) =>
        refName(rt.route_table_id, "aws_route_table") === refName(table, "aws_route_table") &&
        rt.destination_cidr_block === "0.0.0.0/0",
    )?.[1];
    const nat = refName(route?.nat_gateway_id, "aws_nat_gateway");
    if (nat) return need(natOfEip.get(nat), `Elastic IP of NAT gateway ${nat}`);
    // An internet gateway route: the instance's own Elastic IP is its 1:1 NAT.
    if (ownEip && refName(route?.gateway_id, "aws_internet_gateway")) return ownEip;
    throw new PictureError(`no egress address for subnet ${subnetName}: its default route is neither NAT nor IGW`);
  };

  const groups = of("aws_autoscaling_group");
  const instances = of("aws_instance");
  let proxies: NetworkModel["proxies"];
  let templateName: string;
  if (groups.length === 1) {
    const [, g] = groups[0];
    const t = instanceTypeOf((g.launch_template as Record<string, unknown>).id);
    templateName = t.name;
    const subnets = (g.vpc_zone_identifier as unknown[]).map((s) => need(refName(s, "aws_subnet"), "ASG subnet"));
    proxies = {
      instanceType: t.type,
      min: Number(g.min_size),
      desired: Number(g.desired_capacity ?? g.min_size),
      max: Number(g.max_size),
      group: true,
      zones: subnets.map((s) => ({ ...subnet(s), egress: egressOf(s) })).sort((a, b) => a.zone.localeCompare(b.zone)),
    };
  } else if (groups.length === 0 && instances.length === 1) {
    const [name, i] = instances[0];
    const t = instanceTypeOf((i.launch_template as Record<string, unknown>).id);
    templateName = t.name;
    const s = need(refName(i.subnet_id, "aws_subnet"), `subnet of ${name}`);
    proxies = {
      instanceType: t.type,
      min: 1,
      desired: 1,
      max: 1,
      group: false,
      zones: [{ ...subnet(s), egress: egressOf(s, eipOfInstance.get(name)) }],
    };
  } else {
    throw new PictureError(
      `expected one Auto Scaling group or one instance, found ${groups.length} groups and ${instances.length} instances`,
    );
  }

  // What the dial addresses accept: the NLB's listeners, or the instance's security group
  // rules that admit the allowed sources (not an operator's SSH).
  const ports = new Map<number, Set<string>>();
  const add = (port: number, protocol: string) => {
    if (!ports.has(port)) ports.set(port, new Set());
    for (const p of protocol.toLowerCase().split("_")) ports.get(port)!.add(p);
  };
  if (lbs.length > 0) {
    for (const [, l] of of("aws_lb_listener")) add(Number(l.port), str(l.protocol));
  } else {
    const template = r.aws_launch_template![templateName];
    for (const sg of (template.vpc_security_group_ids ?? []) as unknown[]) {
      const group = r.aws_security_group?.[need(refName(sg, "aws_security_group"), "security group")];
      for (const rule of (group?.ingress ?? []) as Record<string, unknown>[]) {
        const cidrs = (rule.cidr_blocks ?? []) as string[];
        if (cidrs.some((c) => cfg.allowedSourceCidrs.includes(c))) add(Number(rule.from_port), str(rule.protocol));
      }
    }
  }
  const listeners = [...ports.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, protocols]) =>
      port === cfg.sip.tlsPort && !protocols.has("udp")
        ? `TLS ${port}`
        : `${["udp", "tcp"]
            .filter((p) => protocols.has(p))
            .map((p) => p.toUpperCase())
            .join("/")} ${port}`,
    );

  // Dial and whitelist addresses.
  const dial = [...eips]
    .filter(([, e]) => e.kind !== "nat")
    .map(([e]) => address(e, "ingress"))
    .sort(byZone);
  const whitelistEips = new Set(proxies.zones.map((z) => z.egress));
  const whitelist = [...whitelistEips].map((e) => address(e, "egress")).sort(byZone);

  const aclEntries = whitelist.map((a) => `\${${a.resource}.public_ip}/32`);
  const aclOutput = Object.entries(stack.output ?? {}).find(
    ([, { value }]) => Array.isArray(value) && aclEntries.every((e) => value.includes(e)),
  )?.[0];

  const dnsRecord = of("aws_route53_record").find(([, rec]) =>
    ((rec.records ?? []) as unknown[]).some((v) => refName(v, "aws_eip")),
  )?.[1];

  // The Request-URI of the source's TwiML, with symbolic addresses.
  const twiml = str(stack.output?.twiml?.value ?? "");
  const sipUri = need(/<Sip[^>]*>(.*?)<\/Sip>/.exec(twiml)?.[1], "twiml output with a <Sip> URI");
  const dials = sipUri.replace(/\$\{aws_eip\.([A-Za-z0-9_-]+)\.public_ip\}/g, (_, e: string) => `‹${labelOf(e)}›`);

  const lb = lbs[0]?.[1];
  const targetGroups = of("aws_lb_target_group");
  const sourceEdges = cfg.allowedSourceCidrs.filter((c) => TWILIO_SIGNALING_CIDRS.includes(c)).length;
  return {
    environment: cfg.name,
    stackName: cfg.stackName,
    architecture: cfg.architecture,
    region: cfg.region,
    vpcCidr: cfg.vpcCidr,
    source: {
      dials,
      twilioEdges: sourceEdges,
      addedRanges: cfg.allowedSourceCidrs.length - sourceEdges,
      accounts: cfg.sourceAccountSids === ANY_ACCOUNT ? "any" : cfg.sourceAccountSids.length,
      placeholderAccount:
        cfg.sourceAccountSids !== ANY_ACCOUNT && cfg.sourceAccountSids.includes(PLACEHOLDER_ACCOUNT_SID),
      digestAuth: cfg.sourceAuth !== undefined,
    },
    listeners,
    dial,
    ...(dnsRecord ? { dnsName: str(dnsRecord.name) } : {}),
    ...(lb
      ? {
          loadBalancer: {
            crossZone: lb.enable_cross_zone_load_balancing === true,
            sourceIpStickiness: targetGroups.some(
              ([, tg]) => (tg.stickiness as Record<string, unknown> | undefined)?.type === "source_ip",
            ),
          },
        }
      : {}),
    proxies,
    whitelist,
    ...(aclOutput ? { aclOutput } : {}),
    destination: {
      domain: cfg.destinationDomain,
      hosts: cfg.destinations,
      transport: cfg.sip.destinationTransport.toUpperCase(),
    },
  };
}

// The lab variant of an environment's kamailio.cfg: the same template, SIP core and
// parameter block, with loopback addresses in place of the AWS ones.
import type { EnvironmentConfig } from "../config/schema";
import { nodeSettingsFor } from "../config/node-settings";
import { kamailioView, renderTemplate } from "../templates/render";

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface LabAddresses {
  /** Where Kamailio listens and what it advertises. @default 127.0.0.1:5060 */
  readonly listen: Endpoint;
  /**
   * Stand-ins for the environment's destinations (`<domain>.sip.twilio.com`), in failover
   * order: local SIPp peers. @default [127.0.0.1:5070]
   */
  readonly destinations: readonly Endpoint[];
  /**
   * The stand-in for Twilio's signaling ranges, or "as deployed" to keep the environment's
   * own list (Twilio's edges plus additions; only inside a network namespace). @default 127.0.0.2/32
   */
  readonly allowedSource: string | "as deployed";
  /** @default the environment's sip.destinationTransport */
  readonly destinationTransport?: "udp" | "tcp" | "tls";
  /** Kamailio's tls.cfg for the lab (needed with "tls"). @default the instance path */
  readonly tlsConfigFile?: string;
  /** @default the environment's sip.tlsPort */
  readonly tlsPort?: number;
  /**
   * The UDP port requests to the destination leave from. Two Kamailios on one address need
   * different ones (the lab runs several on 127.0.0.1). @default the environment's sip.egressPort
   */
  readonly egressPort?: number;
  /** Where the lab wrote the digest credentials (needed when the environment has sourceAuth). */
  readonly sourceAuthFile?: string;
  /**
   * What Kamailio advertises in Via and Record-Route, when it is not the listen address (the
   * network twin: the Elastic IP or the NLB's). Only inside a namespace. @default listen.host
   */
  readonly advertisedAddress?: string;
}

export interface LabConfigOptions {
  /**
   * Multiplies every Kamailio timer of the parameter block (transaction, progress and ring
   * timers; TCP lifetime and keepalive) so that they keep their relation to AWS's idle
   * timeouts when the network twin shortens those by the same factor. The SIP core stays
   * byte-identical. @default 1
   */
  readonly timeScale?: number;
}

export const DEFAULT_LAB_ADDRESSES: LabAddresses = {
  listen: { host: "127.0.0.1", port: 5060 },
  destinations: [{ host: "127.0.0.1", port: 5070 }],
  allowedSource: "127.0.0.2/32",
};

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/**
 * Destination names a test resolves itself, through Kamailio's DNS cache (rpc dns.add_a)
 * before any call: `.test` is reserved (RFC 6761), so nothing outside the lab answers them.
 */
export const LAB_HOST_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.lab\.test$/;

/** Bad lab input (an address outside loopback, a malformed endpoint): the user's to fix. */
export class LabInputError extends Error {
  override name = "LabInputError";
}

/** Lab traffic stays on 127.0.0.0/8; anything else is refused. */
export function assertLoopback(what: string, host: string): void {
  if (!LOOPBACK.test(host)) throw new LabInputError(`${what} must be a 127.0.0.0/8 address, got ${host}`);
}

/**
 * `where`: "loopback" (addresses must be 127/8) or "namespace" (any address: the caller
 * runs Kamailio and its peers inside a network namespace it created, see lab/netns.ts).
 */
export function labKamailioConfig(
  cfg: EnvironmentConfig,
  addresses: LabAddresses = DEFAULT_LAB_ADDRESSES,
  where: "loopback" | "namespace" = "loopback",
  options: LabConfigOptions = {},
): string {
  const check = where === "loopback" ? assertLoopback : () => undefined;
  check("listen address", addresses.listen.host);
  if (addresses.destinations.length === 0) throw new LabInputError("the lab needs at least one destination");
  for (const d of addresses.destinations) {
    if (!LAB_HOST_NAME.test(d.host)) check("destination address", d.host);
  }
  if (addresses.allowedSource === "as deployed") {
    if (where === "loopback") throw new LabInputError("the deployed source list needs a network namespace");
  } else {
    check("allowed source", addresses.allowedSource.split("/")[0]);
  }
  if (addresses.advertisedAddress && where === "loopback") {
    throw new LabInputError("an advertised address other than the listen address needs a network namespace");
  }
  const node = kamailioView(nodeSettingsFor(cfg), addresses.advertisedAddress ?? addresses.listen.host);
  const scale = options.timeScale ?? 1;
  if (!(scale > 0 && scale <= 1)) throw new LabInputError(`timeScale must be in (0, 1], got ${scale}`);
  // Milliseconds and seconds alike: never below one unit, which Kamailio would read as "off".
  const scaled = (value: number) => Math.max(1, Math.round(value * scale));
  return renderTemplate("kamailio", {
    ...node,
    transactionTimeoutMs: scaled(node.transactionTimeoutMs),
    ringTimeoutMs: scaled(node.ringTimeoutMs),
    progressTimeoutMs: scaled(node.progressTimeoutMs),
    tcp: {
      ...node.tcp,
      connectionLifetimeSeconds: scaled(node.tcp.connectionLifetimeSeconds),
      keepaliveIdleSeconds: scaled(node.tcp.keepaliveIdleSeconds),
      keepaliveIntervalSeconds: scaled(node.tcp.keepaliveIntervalSeconds),
    },
    sipPort: addresses.listen.port,
    destinations: addresses.destinations.map((d) => `${d.host}:${d.port}`),
    destinationTransport: addresses.destinationTransport ?? node.destinationTransport,
    tlsPort: addresses.tlsPort ?? node.tlsPort,
    egressPort: addresses.egressPort ?? node.egressPort,
    tlsConfigFile: addresses.tlsConfigFile ?? node.tlsConfigFile,
    allowedSourceCidrs: addresses.allowedSource === "as deployed" ? node.allowedSourceCidrs : [addresses.allowedSource],
    sourceAuth: node.sourceAuth && {
      ...node.sourceAuth,
      credentialsFile: addresses.sourceAuthFile ?? node.sourceAuth.credentialsFile,
    },
  });
}

/** Parses "host:port" (loopback only). */
export function parseEndpoint(text: string, what: string): Endpoint {
  const match = /^([\d.]+):(\d{1,5})$/.exec(text);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
    throw new LabInputError(`${what} must look like 127.0.0.1:5060, got "${text}"`);
  }
  assertLoopback(what, match[1]);
  return { host: match[1], port: Number(match[2]) };
}

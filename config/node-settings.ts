// Config → template view: what every proxy node of an environment runs with, whatever the
// architecture. Imports neither cdktf nor the provider, so the lab, the boot test and the
// network twin render configs without loading them.
import { SOURCE_AUTH_FILE, TLS_FILES, type ProxyNodeSettings } from "../templates/render";
import { drainSettingsFor } from "./drain";
import { logGroupNames } from "./names";
import type { Architecture, EnvironmentConfig } from "./schema";

/**
 * Whether the architecture's instances drain before they go (an Auto Scaling group's
 * termination hook; config/drain.ts). A new architecture does not compile until it says.
 */
const DRAINS: Record<Architecture, boolean> = { single: false, "load-balanced": true };

export function nodeSettingsFor(cfg: EnvironmentConfig): ProxyNodeSettings {
  return {
    environment: cfg.name,
    sipPort: cfg.sip.port,
    destinations: cfg.destinations,
    destinationTransport: cfg.sip.destinationTransport,
    tlsPort: cfg.sip.tlsPort,
    egressPort: cfg.sip.egressPort,
    tlsConfigFile: TLS_FILES.config,
    allowedSourceCidrs: cfg.allowedSourceCidrs,
    sourceAccountSids: cfg.sourceAccountSids,
    sourceAuth: cfg.sourceAuth && {
      username: cfg.sourceAuth.username,
      realm: cfg.stackName,
      credentialsFile: SOURCE_AUTH_FILE,
    },
    logLevel: cfg.logLevel,
    children: cfg.sip.children,
    transactionTimeoutMs: cfg.sip.transactionTimeoutMs,
    ringTimeoutMs: cfg.sip.ringTimeoutMs,
    progressTimeoutMs: cfg.sip.progressTimeoutMs,
    tcp: TCP_SETTINGS,
    sharedMemoryMb: cfg.sip.sharedMemoryMb,
    privateMemoryMb: cfg.sip.privateMemoryMb,
    logGroups: logGroupNames(cfg.name),
    sourceAuthPasswordParameter: cfg.sourceAuth?.passwordParameter,
    drain: DRAINS[cfg.architecture] ? drainSettingsFor(cfg) : undefined,
  };
}

/**
 * TCP connections of every proxy. Twilio reuses a connection across calls, so it is kept a
 * little over an hour; but NAT gateways and NLBs drop a TCP flow idle for 350 s, and AWS's
 * advice for both is keepalive: "enable TCP keepalive on the instance with a value less than
 * 350 seconds" (VPC user guide, NAT gateway troubleshooting). The first probe follows
 * `keepaliveIdleSeconds` of silence, well inside AWS_IDLE_SECONDS (config/aws-network.ts; a
 * unit test holds it there); a peer that
 * answers none of `keepaliveProbes` probes is dropped.
 */
export const TCP_SETTINGS = {
  connectionLifetimeSeconds: 3605,
  keepaliveIdleSeconds: 120,
  keepaliveIntervalSeconds: 30,
  keepaliveProbes: 4,
} as const;

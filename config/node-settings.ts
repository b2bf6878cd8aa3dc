// Config → template view: what every proxy node of an environment runs with, whatever the
// architecture. Imports neither cdktf nor the provider, so the lab, the boot test and the
// network twin render configs without loading them.
import { TLS_FILES, type ProxyNodeSettings } from "../templates/render";
import { logGroupNames } from "./names";
import type { EnvironmentConfig } from "./schema";

export function nodeSettingsFor(cfg: EnvironmentConfig): ProxyNodeSettings {
  return {
    environment: cfg.name,
    sipPort: cfg.sip.port,
    destinations: cfg.destinations,
    destinationTransport: cfg.sip.destinationTransport,
    tlsPort: cfg.sip.tlsPort,
    tlsConfigFile: TLS_FILES.config,
    allowedSourceCidrs: cfg.allowedSourceCidrs,
    logLevel: cfg.logLevel,
    children: cfg.sip.children,
    transactionTimeoutMs: cfg.sip.transactionTimeoutMs,
    ringTimeoutMs: cfg.sip.ringTimeoutMs,
    sharedMemoryMb: cfg.sip.sharedMemoryMb,
    privateMemoryMb: cfg.sip.privateMemoryMb,
    logGroups: logGroupNames(cfg.name),
  };
}

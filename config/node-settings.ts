// Config → template view: what every proxy node of an environment runs with, whatever the
// architecture. Imports neither cdktf nor the provider, so the lab, the boot test and the
// network twin render configs without loading them.
import { SOURCE_AUTH_FILE, TLS_FILES, type ProxyNodeSettings } from "../templates/render";
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
    sharedMemoryMb: cfg.sip.sharedMemoryMb,
    privateMemoryMb: cfg.sip.privateMemoryMb,
    logGroups: logGroupNames(cfg.name),
    sourceAuthPasswordParameter: cfg.sourceAuth?.passwordParameter,
  };
}

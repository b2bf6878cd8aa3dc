// The one entry point that turns a typed view model into deployable text. Templates know
// SIP and Linux, not AWS: addresses arrive as plain strings (an IP, a DNS name, or a
// Terraform reference the caller substitutes).
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import ejs from "ejs";
import {
  BOOT_TAGS,
  DEBIAN,
  INSTANCE_PACKAGES,
  JOURNAL_EXPORT_COMMAND,
  JOURNALD_DROPIN,
  KAMAILIO_SERIES,
} from "../config/platform";
import type { DrainSettings } from "../config/drain";
import type { LogLevel } from "../config/schema";

export interface KamailioViewModel {
  readonly environment: string;
  /** Address Twilio reaches the proxy on; goes into Via, Record-Route and alias. */
  readonly advertisedAddress: string;
  readonly sipPort: number;
  /**
   * Hosts (host or host:port) the Request-URI is rewritten to, in failover order, e.g.
   * acme.sip.ashburn.twilio.com then acme.sip.umatilla.twilio.com. At least one.
   */
  readonly destinations: readonly string[];
  /** Transport towards the destination. */
  readonly destinationTransport: "udp" | "tcp" | "tls";
  /** Port of the TLS listener (used only with destinationTransport "tls"). */
  readonly tlsPort: number;
  /** UDP port requests to the destination leave from (sip.egressPort). */
  readonly egressPort: number;
  /** Kamailio's tls.cfg (written by the user-data, or by the lab). */
  readonly tlsConfigFile: string;
  /** Sources allowed to start calls (exact subnet match). */
  readonly allowedSourceCidrs: readonly string[];
  /** Twilio Account SIDs an initial INVITE's X-Twilio-AccountSid must name, or "any". */
  readonly sourceAccountSids: readonly string[] | "any";
  /** Digest authentication of initial INVITEs. @default none */
  readonly sourceAuth?: KamailioSourceAuth;
  readonly logLevel: LogLevel;
  readonly children: number;
  readonly transactionTimeoutMs: number;
  readonly ringTimeoutMs: number;
  /** How long a destination may stay at 100 Trying before it is failed over. */
  readonly progressTimeoutMs: number;
  /** TCP connection lifetime and keepalive (config/node-settings.ts TCP_SETTINGS). */
  readonly tcp: {
    readonly connectionLifetimeSeconds: number;
    readonly keepaliveIdleSeconds: number;
    readonly keepaliveIntervalSeconds: number;
    readonly keepaliveProbes: number;
  };
}

export interface KamailioSourceAuth {
  readonly username: string;
  readonly realm: string;
  /**
   * Kamailio include file defining SOURCE_AUTH_HA1 (MD5 of username:realm:password) and
   * SOURCE_AUTH_SECRET (the nonce secret); written at boot, never part of the rendered config.
   */
  readonly credentialsFile: string;
}

export interface UserDataViewModel {
  readonly environment: string;
  /** Whether Kamailio needs its TLS module, settings and a certificate. */
  readonly tls: boolean;
  /** CloudWatch log groups the instance ships its logs to. */
  readonly logGroups: { readonly kamailio: string; readonly setup: string };
  /** The rendered kamailio.cfg written to /etc/kamailio/kamailio.cfg. */
  readonly kamailioConfig: string;
  readonly sipPort: number;
  readonly sharedMemoryMb: number;
  readonly privateMemoryMb: number;
  /** Where the boot script reads the digest password and writes Kamailio's credentials. @default none */
  readonly sourceAuth?: KamailioSourceAuth & { readonly passwordParameter: string };
  /** The drain service's settings, in an Auto Scaling group (config/drain.ts). @default none */
  readonly drain?: DrainSettings;
}

interface Templates {
  kamailio: KamailioViewModel;
  "user-data": UserDataViewModel;
}
export type TemplateName = keyof Templates;
export const TEMPLATE_NAMES: readonly TemplateName[] = ["kamailio", "user-data"];

const FILES: Record<TemplateName, string> = {
  kamailio: "kamailio.cfg.ejs",
  "user-data": "user-data.sh.ejs",
};

/** Kamailio `debug=` values for each log level. */
const DEBUG_LEVELS: Record<LogLevel, number> = { error: -1, warn: 0, notice: 1, info: 2, debug: 3 };

/** Where the instance writes logs; fixed so that runbooks and log shipping can rely on them. */
/** Where the instance keeps Kamailio's TLS settings and its own certificate. */
export const TLS_FILES = {
  config: "/etc/kamailio/tls.cfg",
  certificate: "/etc/kamailio/tls/proxy.crt",
  privateKey: "/etc/kamailio/tls/proxy.key",
} as const;

/** Where the instance writes the digest credentials Kamailio includes (root:kamailio 0640). */
export const SOURCE_AUTH_FILE = "/etc/kamailio/source-auth.cfg";

export const LOG_FILES = {
  setup: "/var/log/sip-proxy-setup.log",
  kamailio: "/var/log/kamailio.log",
} as const;

/** The drain service's script (installed by the user-data of load-balanced nodes; the twin runs it). */
export const DRAIN_SCRIPT = join(__dirname, "drain.sh");

/**
 * Kamailio's RPC socket on the instances: the ctl module's default in Debian's build
 * (`/var/run/kamailio/kamailio_ctl`, /var/run being /run), which `kamcmd` uses by default too.
 * Group kamailio and mode 0660 come from kamailio.cfg; the unit makes root its owner.
 */
export const CONTROL_SOCKET = "/run/kamailio/kamailio_ctl";

/**
 * The stats publisher every node runs: its script (the lab runs it as is), where the user-data
 * installs it, and its systemd units (a oneshot service and the timer that starts it each minute).
 */
export const STATS_PUBLISHER = {
  script: join(__dirname, "sip-stats.sh"),
  installedAt: "/usr/local/sbin/sip-proxy-stats",
  service: "sip-proxy-stats.service",
  timer: "sip-proxy-stats.timer",
} as const;

/**
 * Tools for the operator at 3 a.m., installed with Kamailio (the boot test's mirror carries
 * them): sngrep shows SIP dialogs live on the instance (about 90 KB and libgcrypt).
 */
export const OPERATOR_PACKAGES = ["sngrep"] as const;

/** Markers around the per-environment part of kamailio.cfg. */
export const PARAMETER_BLOCK = {
  begin: "# ---- BEGIN PARAMETER BLOCK ----",
  end: "# ---- END PARAMETER BLOCK ----",
} as const;

const compiled = new Map<TemplateName, ejs.TemplateFunction>();

function template(name: TemplateName): ejs.TemplateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    const file = join(__dirname, FILES[name]);
    fn = ejs.compile(readFileSync(file, "utf8"), { filename: file });
    compiled.set(name, fn);
  }
  return fn;
}

/**
 * A helper script as the user-data embeds it: its comment lines and blank lines dropped (the
 * gzipped user-data must stay under 16 KB), a pointer to the commented source in their place.
 * Only whole-line comments go, so what runs is what the lab, the twin and shellcheck run.
 */
export function embeddedScript(file: string): string {
  const [shebang, ...lines] = readFileSync(file, "utf8").trimEnd().split("\n");
  const code = lines.filter((line) => line.trim() !== "" && !/^\s*#/.test(line));
  return [shebang, `# templates/${basename(file)} of sip-proxy-infra, without its comments`, ...code].join("\n");
}

function extraLocals(name: TemplateName, model: Templates[TemplateName]): Record<string, unknown> {
  if (name === "kamailio") return { debugLevel: DEBUG_LEVELS[(model as KamailioViewModel).logLevel] };
  return {
    setupLog: LOG_FILES.setup,
    kamailioLog: LOG_FILES.kamailio,
    tlsFiles: TLS_FILES,
    kamailioSeries: KAMAILIO_SERIES,
    debian: DEBIAN,
    bootTags: BOOT_TAGS,
    journalExportCommand: JOURNAL_EXPORT_COMMAND,
    journaldDropin: JOURNALD_DROPIN,
    journaldDropinDir: dirname(JOURNALD_DROPIN.path),
    drainScript: embeddedScript(DRAIN_SCRIPT),
    statsScript: embeddedScript(STATS_PUBLISHER.script),
    statsPublisher: STATS_PUBLISHER,
    controlSocket: CONTROL_SOCKET,
    packages: [
      ...INSTANCE_PACKAGES.always,
      ...((model as UserDataViewModel).tls ? INSTANCE_PACKAGES.tls : []),
      ...OPERATOR_PACKAGES,
    ],
  };
}

/** Renders one template with its typed view model. */
export function renderTemplate<N extends TemplateName>(name: N, model: Templates[N]): string {
  return template(name)({ ...model, ...extraLocals(name, model) });
}

/** Everything a proxy node needs except the address it advertises (known per architecture). */
export interface ProxyNodeSettings extends Omit<KamailioViewModel, "advertisedAddress"> {
  readonly sharedMemoryMb: number;
  readonly privateMemoryMb: number;
  readonly logGroups: UserDataViewModel["logGroups"];
  /** The SSM parameter holding the digest password, when sourceAuth is on. */
  readonly sourceAuthPasswordParameter?: string;
  /** In an Auto Scaling group: how the node drains before it is terminated. */
  readonly drain?: DrainSettings;
}

/** The kamailio.cfg view of a node: its settings minus what only the boot script uses. */
export function kamailioView(node: ProxyNodeSettings, advertisedAddress: string): KamailioViewModel {
  const {
    sharedMemoryMb: _shm,
    privateMemoryMb: _pkg,
    logGroups: _logs,
    sourceAuthPasswordParameter: _password,
    drain: _drain,
    ...kamailio
  } = node;
  void [_shm, _pkg, _logs, _password, _drain];
  return { ...kamailio, advertisedAddress };
}

/** The first-boot script of a proxy node, with its kamailio.cfg embedded. */
export function renderNodeUserData(node: ProxyNodeSettings, advertisedAddress: string): string {
  return renderTemplate("user-data", {
    environment: node.environment,
    tls: node.destinationTransport === "tls",
    logGroups: node.logGroups,
    kamailioConfig: renderTemplate("kamailio", kamailioView(node, advertisedAddress)),
    sipPort: node.sipPort,
    sharedMemoryMb: node.sharedMemoryMb,
    privateMemoryMb: node.privateMemoryMb,
    sourceAuth:
      node.sourceAuth && node.sourceAuthPasswordParameter
        ? { ...node.sourceAuth, passwordParameter: node.sourceAuthPasswordParameter }
        : undefined,
    drain: node.drain,
  });
}

// A real Kamailio running an environment's lab config, with SIPp peers around it:
//   caller (127.0.0.2, inside the allowed range)  -->  proxy (127.0.0.1)  -->  destination UAS (127.0.0.1)
//   outsider (127.0.0.3, outside the allowed range)
// Ports are picked free at start; everything is killed by stop(), which tests call in afterAll.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnvironmentConfig } from "../config/schema";
import { PLACEHOLDER_ACCOUNT_SID } from "../config/twilio";
import { labKamailioConfig, type Endpoint } from "./config";
import { startKamailio, type KamailioRunOptions, type RunningKamailio } from "./kamailio";
import { runSipp, startSipp, type RunningSipp, type SippOptions, type SippResult } from "./sipp";
import { freePort } from "./sockets";
import { writeSourceAuthFile } from "./source-auth";

export const CALLER_IP = "127.0.0.2";
export const OUTSIDER_IP = "127.0.0.3";

export interface LabOptions {
  /** Kamailio's tls.cfg, for destinationTransport "tls" (see lab/tls.ts). */
  readonly tlsConfigFile?: string;
  /** Destinations in failover order, each a SIPp peer on its own port. @default 1 */
  readonly destinationCount?: number;
  /**
   * Destinations dialled by name instead of 127.0.0.1 (index → a `*.lab.test` name, see
   * LAB_HOST_NAME); the test puts the name's A records into Kamailio's DNS cache.
   * @default none
   */
  readonly destinationNames?: Readonly<Record<number, string>>;
  /** Transport towards the destination. @default the environment's */
  readonly destinationTransport?: "udp" | "tcp" | "tls";
  readonly kamailio?: KamailioRunOptions;
  /** The password behind the environment's sourceAuth, if it has one. @default LAB_SOURCE_AUTH_PASSWORD */
  readonly sourceAuthPassword?: string;
  /** A nonce secret other than the one derived from the password (instances that disagree). */
  readonly sourceAuthNonceSecret?: string;
}

/** What the lab's SSM parameter would hold for an environment with sourceAuth. */
export const LAB_SOURCE_AUTH_PASSWORD = "lab-only-password";

/** A free port on the caller's address (the allowed range unless told otherwise). */
async function callerEndpoint(localIp = CALLER_IP): Promise<Endpoint> {
  return { host: localIp, port: await freePort(localIp) };
}

type PeerOptions = Omit<SippOptions, "local" | "target"> & { readonly localIp?: string };

export class SipLab {
  private readonly peers = new Set<RunningSipp>();

  private constructor(
    readonly proxy: Endpoint,
    readonly destinations: readonly Endpoint[],
    readonly config: string,
    private readonly kamailio: RunningKamailio,
    /** The X-Twilio-AccountSid callers send unless told otherwise: the first listed account. */
    readonly accountSid: string,
    private readonly scratch: string,
  ) {}

  /** The first destination. */
  get destination(): Endpoint {
    return this.destinations[0];
  }

  static async start(cfg: EnvironmentConfig, options: LabOptions = {}): Promise<SipLab> {
    const proxy = { host: "127.0.0.1", port: await freePort("127.0.0.1") };
    const taken = new Set([proxy.port]);
    const destinations: Endpoint[] = [];
    while (destinations.length < (options.destinationCount ?? 1)) {
      const port = await freePort("127.0.0.1");
      if (!taken.has(port)) destinations.push({ host: "127.0.0.1", port });
      taken.add(port);
    }
    let tlsPort: number | undefined;
    while (options.destinationTransport === "tls" && (tlsPort === undefined || taken.has(tlsPort))) {
      tlsPort = await freePort("127.0.0.1");
    }
    let egressPort = await freePort("127.0.0.1");
    while (taken.has(egressPort) || egressPort === tlsPort) egressPort = await freePort("127.0.0.1");
    const scratch = mkdtempSync(join(tmpdir(), "sip-lab-"));
    const sourceAuthFile = cfg.sourceAuth
      ? writeSourceAuthFile(join(scratch, "source-auth.cfg"), {
          username: cfg.sourceAuth.username,
          realm: cfg.stackName,
          password: options.sourceAuthPassword ?? LAB_SOURCE_AUTH_PASSWORD,
          nonceSecret: options.sourceAuthNonceSecret,
        })
      : undefined;
    const config = labKamailioConfig(cfg, {
      listen: proxy,
      destinations: destinations.map((d, i) => ({ ...d, host: options.destinationNames?.[i] ?? d.host })),
      allowedSource: `${CALLER_IP}/32`,
      destinationTransport: options.destinationTransport,
      tlsConfigFile: options.tlsConfigFile,
      tlsPort,
      egressPort,
      sourceAuthFile,
    });
    let kamailio: RunningKamailio;
    try {
      kamailio = await startKamailio(config, proxy, options.kamailio);
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      throw error;
    }
    const accountSid = cfg.sourceAccountSids === "any" ? PLACEHOLDER_ACCOUNT_SID : cfg.sourceAccountSids[0];
    return new SipLab(proxy, destinations, config, kamailio, accountSid, scratch);
  }

  /** Starts a destination UAS (the first, or destination `index`) and waits until it listens. */
  async destinationPeer(
    scenario: string,
    options: Omit<PeerOptions, "scenario"> & { readonly index?: number } = {},
  ): Promise<RunningSipp> {
    const peer = await startSipp({ ...options, scenario, local: this.destinations[options.index ?? 0] });
    this.peers.add(peer);
    return peer;
  }

  /** Runs a caller to completion from the allowed range (or `localIp`). */
  async call(scenario: string, options: Omit<PeerOptions, "scenario"> = {}): Promise<SippResult> {
    return runSipp({
      ...options,
      keys: this.callerKeys(options.keys),
      scenario,
      local: await callerEndpoint(options.localIp),
      target: this.proxy,
    });
  }

  /** `[account_sid]` in caller scenarios: this lab's account unless the test says otherwise. */
  private callerKeys(keys: PeerOptions["keys"]): Record<string, string> {
    return { account_sid: this.accountSid, ...keys };
  }

  /** Starts a caller without waiting for it (several callers at once, benchmarks). */
  async startCaller(scenario: string, options: Omit<PeerOptions, "scenario"> = {}): Promise<RunningSipp> {
    const peer = await startSipp({
      ...options,
      keys: this.callerKeys(options.keys),
      scenario,
      local: await callerEndpoint(options.localIp),
      target: this.proxy,
    });
    this.peers.add(peer);
    return peer;
  }

  get kamailioPid(): number {
    return this.kamailio.pid;
  }

  /** The running Kamailio (its pid, ctl socket and logging), e.g. for lab/stats-publisher.ts. */
  get kamailioProcess(): Pick<RunningKamailio, "pid" | "controlSocket" | "logging"> {
    return this.kamailio;
  }

  kamailioLog(): string {
    return this.kamailio.log();
  }

  /** A Kamailio RPC command (kamcmd), e.g. rpc("dns.add_a", name, ttl, address). */
  rpc(...args: string[]): string {
    return this.kamailio.rpc(...args);
  }

  kamailioRunning(): boolean {
    return !this.kamailio.exited();
  }

  /** Structured SIPLOG lines Kamailio wrote for one Call-ID. */
  siplog(callId: string): string[] {
    return this.kamailioLog()
      .split("\n")
      .filter((line) => line.includes("SIPLOG") && /callid=(\S+)/.exec(line)?.[1] === callId)
      .map((line) => line.slice(line.indexOf("SIPLOG")));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.peers].map((peer) => peer.stop()));
    await this.kamailio.stop();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

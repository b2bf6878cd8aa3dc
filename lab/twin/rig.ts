// A running twin with Twilio's two edges and the environment's proxies: what the twin
// scenarios (__tests__/twin/calls.test.ts) and `npm run twin` place calls through.
import { environments } from "../../config/environments";
import { parseEnvironment, type EnvironmentConfig } from "../../config/schema";
import { startSipp, type SippResult } from "../sipp";
import { startTwilioEdge, type ReplyPolicy, type TwilioEdge } from "./edge";
import type { TwinFix } from "./fixes";
import { NetworkTwin, TWIN_ADDRESSES, type TwinArchitecture, type TwinOptions } from "./network";
import { startTwinProxies, type TwinProxies } from "./sip";

const { sourceEdge, destinationEdge } = TWIN_ADDRESSES;
export const cfgOf = (name: string) => parseEnvironment(environments.find((e) => e.name === name));

export interface CallOptions {
  /** The edge the caller is behind. @default the source edge */
  readonly from?: string;
  /** The call's length (SIPp's `<pause/>`), ms. @default 100 */
  readonly pauseMs?: number;
  /** `{{name}}` values for both scenarios. */
  readonly vars?: Record<string, string>;
  /** SIPp gives up after this long. @default the call's length + 12 s */
  readonly timeoutSeconds?: number;
}

export interface CallResult {
  readonly caller: SippResult;
  readonly callee: SippResult;
  /** What the destination's IP ACL refused during the call: "METHOD from address:port". */
  readonly refused: string[];
}

/**
 * Waits until each of `addresses` (every registered target unless told) is healthy and takes
 * new flows; with `since`, it must also have passed a health check since then (its proxy was
 * restarted). A call placed earlier could see its flow moved when the NLB's view changes.
 */
export async function waitUntilInService(
  twin: NetworkTwin,
  addresses?: readonly string[],
  since?: number,
): Promise<void> {
  const health = twin.health;
  if (!health) return;
  const ready = () => {
    const wanted = addresses ?? health.registered();
    const passedSince = (address: string) =>
      since === undefined ||
      health.events().some((e) => e.event === "check" && e.target === address && e.ok && e.at >= since);
    return (
      wanted.length > 0 &&
      wanted.every(
        (address) =>
          health.status(address) === "healthy" && health.inService().includes(address) && passedSince(address),
      ) &&
      (addresses !== undefined || health.inService().length === wanted.length)
    );
  };
  const deadline = Date.now() + 15000;
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(`NLB targets not in service after 15 s: ${JSON.stringify(health.events().slice(-6))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A twin with both edges and the proxies running; everything stopped by `stop`. */
export class Rig {
  private callerPort = 5062;
  private constructor(
    readonly twin: NetworkTwin,
    readonly cfg: EnvironmentConfig,
    readonly source: TwilioEdge,
    readonly destination: TwilioEdge,
    public proxies: TwinProxies,
  ) {}

  static async start(
    architecture: TwinArchitecture,
    env: string,
    replies: ReplyPolicy,
    twinOptions: TwinOptions = {},
  ): Promise<Rig> {
    const cfg = cfgOf(env);
    const twin = NetworkTwin.build(architecture, { instances: 2, ...twinOptions });
    const started: { stop(): Promise<void> }[] = [];
    try {
      const { timeScale } = twin;
      const source = await startTwilioEdge(twin.twilio, { address: sourceEdge, replies, timeScale });
      started.push(source);
      const destination = await startTwilioEdge(twin.twilio, {
        address: destinationEdge,
        acl: twin.egress,
        replies,
        timeScale,
      });
      started.push(destination);
      const proxies = await startTwinProxies(twin, cfg, { destination: destinationEdge });
      started.push(proxies);
      await waitUntilInService(twin, undefined, Date.now());
      return new Rig(twin, cfg, source, destination, proxies);
    } catch (error) {
      await Promise.all(started.map((s) => s.stop()));
      twin.destroy();
      throw error;
    }
  }

  /**
   * Restarts the proxies with the given fixes undone (none: as shipped), and waits until the
   * NLB has every one in service again.
   */
  async restartProxies(undo: readonly TwinFix[] = []): Promise<void> {
    await this.proxies.stop();
    this.proxies = await startTwinProxies(this.twin, this.cfg, { destination: destinationEdge, undo });
    await waitUntilInService(this.twin, undefined, Date.now());
  }

  /**
   * One call from a SIPp caller behind `from` (the source edge unless told) to the SIPp
   * callee behind the destination edge; `pauseMs` is the call's length.
   */
  async call(uas: string, uac: string, o: CallOptions = {}): Promise<CallResult> {
    return (await this.placeCall(uas, uac, o)).result;
  }

  /**
   * Starts a call like `call` and returns once the callee is listening and the caller has
   * started; `result` settles when both have finished.
   */
  async placeCall(uas: string, uac: string, o: CallOptions = {}): Promise<{ result: Promise<CallResult> }> {
    const refusedBefore = this.destination.refused().length;
    const edge = o.from ?? sourceEdge;
    const timeoutSeconds = o.timeoutSeconds ?? Math.ceil((o.pauseMs ?? 100) / 1000) + 12;
    const callee = await startSipp({
      scenario: uas,
      local: { host: destinationEdge, port: this.destination.calleePort },
      netns: this.twin.twilio,
      pauseMs: o.pauseMs,
      timeoutSeconds,
      vars: o.vars,
    });
    const caller = await startSipp({
      scenario: uac,
      local: { host: edge, port: this.callerPort++ },
      target: { host: this.twin.ingress, port: 5060 },
      // Through the edge's Kamailio, as Twilio sends: from the edge's address and port 5060.
      extraArgs: ["-rsa", `${edge}:5060`],
      keys: { account_sid: (this.cfg.sourceAccountSids as readonly string[])[0] },
      netns: this.twin.twilio,
      pauseMs: o.pauseMs,
      timeoutSeconds,
      vars: o.vars,
    });
    const result = (async () => {
      const [callerResult, calleeResult] = await Promise.all([caller.finish(), callee.finish()]);
      return { caller: callerResult, callee: calleeResult, refused: this.destination.refused().slice(refusedBefore) };
    })();
    return { result };
  }

  /** Per proxy, how many requests of `method` it has logged (which instance took a call). */
  requestCounts(method: string): number[] {
    return this.proxies.proxies.map(
      (p) => [...p.log().matchAll(new RegExp(`SIPLOG event=request method=${method} `, "g"))].length,
    );
  }

  async stop(): Promise<void> {
    await this.proxies?.stop();
    await this.source.stop();
    await this.destination.stop();
    this.twin.destroy();
  }
}

// Kamailio on the twin's instances: each runs the environment's rendered config (its SIP core
// and parameter block) with the twin's addresses, from the Debian 13 root, inside its
// instance namespace, listening on its private address and advertising the public one. Its
// timers are scaled like the twin's idle timeouts.
import type { EnvironmentConfig } from "../../config/schema";
import { labKamailioConfig } from "../config";
import { startKamailio, type RunningKamailio } from "../kamailio";
import { undoFixes, type TwinFix } from "./fixes";
import type { NetworkTwin } from "./network";

export const SIP_PORT = 5060;

export interface TwinProxyOptions {
  /** Where the proxies send calls (the destination edge). */
  readonly destination: string;
  /** Fixes to put back (lab/twin/fixes.ts): the scenario must then fail. @default none */
  readonly undo?: readonly TwinFix[];
}

export interface TwinProxies {
  readonly proxies: readonly RunningKamailio[];
  /** Every instance's log, concatenated. */
  log(): string;
  stop(): Promise<void>;
}

export async function startTwinProxies(
  twin: NetworkTwin,
  cfg: EnvironmentConfig,
  options: TwinProxyOptions,
): Promise<TwinProxies> {
  const proxies: RunningKamailio[] = [];
  try {
    for (const instance of twin.instances) {
      const listen = { host: instance.privateIp, port: SIP_PORT };
      const config = labKamailioConfig(
        cfg,
        {
          listen,
          advertisedAddress: twin.ingress,
          destinations: [{ host: options.destination, port: SIP_PORT }],
          allowedSource: "as deployed",
        },
        "namespace",
        { timeScale: twin.timeScale },
      );
      proxies.push(await startKamailio(undoFixes(config, options.undo ?? []), listen, { netns: instance.ns }));
    }
  } catch (error) {
    await Promise.all(proxies.map((p) => p.stop()));
    throw error;
  }
  return {
    proxies,
    log: () => proxies.map((p) => p.log()).join("\n"),
    stop: async () => {
      await Promise.all(proxies.map((p) => p.stop()));
    },
  };
}

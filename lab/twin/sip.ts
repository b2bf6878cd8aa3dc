// Kamailio on the twin's instances: each runs the environment's rendered config (its SIP core
// and parameter block) with the twin's addresses, from the Debian 13 root, inside its
// instance namespace, listening on its private address and advertising the public one.
import type { EnvironmentConfig } from "../../config/schema";
import { labKamailioConfig } from "../config";
import { startKamailio, type RunningKamailio } from "../kamailio";
import { TWIN_ADDRESSES, type NetworkTwin } from "./network";

export const SIP_PORT = 5060;

export interface TwinProxies {
  readonly proxies: readonly RunningKamailio[];
  /** Every instance's log, concatenated. */
  log(): string;
  stop(): Promise<void>;
}

export async function startTwinProxies(twin: NetworkTwin, cfg: EnvironmentConfig): Promise<TwinProxies> {
  const proxies: RunningKamailio[] = [];
  try {
    for (const instance of twin.instances) {
      const listen = { host: instance.privateIp, port: SIP_PORT };
      const config = labKamailioConfig(
        cfg,
        {
          listen,
          advertisedAddress: twin.ingress,
          destinations: [{ host: TWIN_ADDRESSES.destinationEdge, port: SIP_PORT }],
          allowedSource: "as deployed",
        },
        "namespace",
      );
      proxies.push(await startKamailio(config, listen, { netns: instance.ns }));
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

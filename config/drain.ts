// How a load-balanced proxy leaves its Auto Scaling group without losing a call (README
// "Scale-in, refresh and deploys"), in one place: the construct's lifecycle hook, the boot
// script's drain service (templates/drain.sh) and the network twin read these.
import { NLB_TARGET_HEALTH } from "./aws-network";
import { stackNameFor } from "./names";
import type { EnvironmentConfig } from "./schema";

/** The termination lifecycle hook the drain service completes. */
export const DRAIN_HOOK_NAME = "sip-proxy-drain";

/** How often the drain service looks at the lifecycle state and Kamailio's transactions. */
export const DRAIN_POLL_SECONDS = 5;

export interface DrainSettings {
  readonly hookName: string;
  readonly autoScalingGroupName: string;
  /** The target group's deregistration delay: new INVITEs may arrive until it ends. */
  readonly deregistrationDelaySeconds: number;
  readonly pollSeconds: number;
  /** The hook's heartbeat timeout: after it, Auto Scaling terminates anyway (CONTINUE). */
  readonly timeoutSeconds: number;
}

/** The Auto Scaling group of an environment: its stack's name. */
export const autoScalingGroupNameFor = (environment: string) => stackNameFor(environment);

/**
 * The hook's timeout. The drain waits out the deregistration delay, during which a new INVITE
 * can still arrive; that call may ring for ringTimeoutMs, then its final reply and ACK take up
 * to transactionTimeoutMs; two polls of slack let the service see the end and call the API.
 */
export function drainTimeoutSeconds(sip: { ringTimeoutMs: number; transactionTimeoutMs: number }): number {
  return (
    NLB_TARGET_HEALTH.deregistrationDelaySeconds +
    Math.ceil((sip.ringTimeoutMs + sip.transactionTimeoutMs) / 1000) +
    2 * DRAIN_POLL_SECONDS
  );
}

export function drainSettingsFor(cfg: EnvironmentConfig): DrainSettings {
  return {
    hookName: DRAIN_HOOK_NAME,
    autoScalingGroupName: autoScalingGroupNameFor(cfg.name),
    deregistrationDelaySeconds: NLB_TARGET_HEALTH.deregistrationDelaySeconds,
    pollSeconds: DRAIN_POLL_SECONDS,
    timeoutSeconds: drainTimeoutSeconds(cfg.sip),
  };
}

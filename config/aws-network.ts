// AWS's packet-path timers, in one place: the proxies' TCP keepalive is chosen against them
// (config/node-settings.ts) and the network twin models them (lab/twin/network.ts).

/** Idle timeouts, in seconds, after which AWS forgets a flow. */
export const AWS_IDLE_SECONDS = {
  /** "For UDP flows, the idle timeout is 120 seconds" (ELB user guide, NLB listeners, idle timeout). */
  nlbUdp: 120,
  /** "The default idle timeout value for TCP flows is 350 seconds" (same page). */
  nlbTcp: 350,
  /**
   * "If a connection that's using a NAT gateway is idle for 350 seconds or more, the
   * connection times out" (VPC user guide, NAT gateways).
   */
  natGateway: 350,
} as const;

/** RFC 3261 Timer F: how long a UDP peer retransmits a BYE (64 × T1 of 500 ms) before giving up. */
export const SIP_NON_INVITE_TIMEOUT_SECONDS = 32;

/**
 * How the NLB's target groups check and drain the proxies. An instance that dies mid-call
 * holds its calls' flows until the NLB finds it unhealthy; then "the load balancer terminates
 * connections to unhealthy targets" (target group attribute
 * target_health_state.unhealthy.connection_termination.enabled, default true) and the next
 * retransmission is hashed to a healthy instance, which relays it (the dialog lives in the
 * Record-Route, not in the instance). Worst case that takes unhealthyThreshold checks an
 * interval apart, the last waiting out its timeout: 2 × 10 s + 5 s = 25 s, inside the 32 s a
 * BYE is retransmitted. With AWS's default interval of 30 s (up to 70 s) it was not: a BYE sent
 * just after the crash was lost and the other side kept the call up. A unit test holds the relation; the twin's "instance killed" scenario shows it.
 */
export const NLB_TARGET_HEALTH = {
  /** "HealthCheckIntervalSeconds ... The range is 5-300" (ELB API, CreateTargetGroup). */
  intervalSeconds: 10,
  /** A TCP connect that takes longer fails the check: a hung instance counts as dead. */
  timeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  /** Scale-in and refresh drain this long; then UDP flows are cut (connection_termination). */
  deregistrationDelaySeconds: 30,
} as const;

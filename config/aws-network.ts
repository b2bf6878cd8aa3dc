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

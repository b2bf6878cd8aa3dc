// Switches that put a fixed defect of the load-balanced signalling path back into a rendered
// kamailio.cfg, so that a twin scenario can show it fails without the fix. Each names the
// exact text it removes and refuses to run when that text is gone (the fix moved: update the
// switch, or the scenario would pass for the wrong reason).

export const TWIN_FIXES = {
  /** Requests to the destination leave from sip.egressPort instead of the SIP port. */
  // (Kamailio refuses an empty block: the if keeps a harmless statement.)
  "egress-port": [['$fsn = "egress";', "$var(egress_undone) = 1;"]],
  /** Relayed requests carry rport (RFC 3581), so replies find the NAT gateway's mapping. */
  rport: [["add_local_rport();", ""]],
  /** Requests over 1,300 bytes go over TCP (RFC 3261 18.1.1), not as UDP fragments. */
  "udp-mtu": [["\nudp_mtu=1300\n", "\nudp_mtu=0\n"]],
  /** A CANCEL without a transaction here is answered 481 (RFC 3261 9.2), not dropped. */
  "orphan-cancel": [
    [
      '\t\t$var(code) = 481;\n\t\t$var(reason) = "Call/Transaction Does Not Exist";\n\t\troute(SEND_REPLY);',
      "\t\texit;",
    ],
  ],
  /**
   * TCP keepalive inside AWS's 350 s idle timeout. Kamailio turns keepalive on whenever
   * tcp_keepidle, tcp_keepintvl or tcp_keepcnt is set, so those go too.
   */
  "tcp-keepalive": [
    [
      "tcp_keepalive=yes\ntcp_keepidle=TCP_KEEPIDLE_S\ntcp_keepintvl=TCP_KEEPINTVL_S\ntcp_keepcnt=TCP_KEEPCNT\n",
      "tcp_keepalive=no\n",
    ],
  ],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

export type TwinFix = keyof typeof TWIN_FIXES;

export function undoFixes(config: string, fixes: readonly TwinFix[]): string {
  let text = config;
  for (const fix of fixes) {
    for (const [from, to] of TWIN_FIXES[fix]) {
      if (!text.includes(from))
        throw new Error(`the fix "${fix}" is not in the config any more: ${JSON.stringify(from)}`);
      text = text.split(from).join(to);
    }
  }
  return text;
}

// A Twilio edge in the twin: a second Kamailio from the same Debian 13 root, on the edge's
// published address and port 5060, in front of the SIPp peers of that edge. It stands in for
// what the proxy can see of Twilio, which the tests cannot reach:
// - Twilio sends signalling from its edge address and port 5060 (every call from one edge is
//   then one UDP flow to the NLB); SIPp callers send their INVITEs through it (SIPp's -rsa).
// - A SIP domain with an IP access control list refuses requests from addresses it does not
//   list (403); the twin assumes the same check for in-dialog requests to the domain's callee.
//   In-dialog requests of calls placed from the edge are admitted from any address (an
//   assumption: Twilio does not document it). An edge without a domain refuses new calls.
// - Replies go where RFC 3261 18.2.2 says: to the Via's sent-by port at the packet's source
//   address, or to the source port when the Via asks with rport (RFC 3581) — "strict". A
//   "symmetric" edge always answers the source port. Which one Twilio is, is not documented;
//   the twin runs both.
// - It listens on UDP and TCP port 5060, as Twilio's SIP domains do.
// - Its SIP timers are RFC 3261's (T1 500 ms, T2 4 s, a non-INVITE given up after 32 s) and a
//   30 s ring timeout (Twilio's <Dial> default), scaled like the twin's AWS timeouts, so that a
//   retransmitted BYE lasts as long against the NLB's health checks as it would in AWS. T1 and
//   T2 stay at 100 and 400 ms or more: shorter, a busy machine's SIPp answered late enough to
//   draw retransmissions that no real network would.
// Requests from the proxy are relayed to the edge's SIPp callee (`calleePort`); requests from
// the edge's own SIPp are relayed to their Request-URI.
import { startKamailio, type RunningKamailio } from "../kamailio";
import type { NetworkNamespace } from "../netns";

export type ReplyPolicy = "strict" | "symmetric";

export interface TwilioEdgeOptions {
  readonly address: string;
  /** Sources admitted to the domain (its IP ACL); undefined: the edge takes no calls in. */
  readonly acl?: readonly string[];
  /** Where the edge's SIPp callee listens, on the edge address. @default 5070 */
  readonly calleePort?: number;
  /** @default "strict" */
  readonly replies?: ReplyPolicy;
  /** The twin's time scale: the edge's SIP timers are multiplied by it. @default 1 */
  readonly timeScale?: number;
}

export interface TwilioEdge {
  readonly address: string;
  readonly calleePort: number;
  /** Requests the ACL refused so far: "METHOD from address:port" (+ " over tcp" unless UDP). */
  refused(): string[];
  /** Requests the ACL admitted so far: "METHOD from address:port" (+ " over tcp" unless UDP). */
  admitted(): string[];
  log(): string;
  stop(): Promise<void>;
}

export const EDGE_PORT = 5060;

function edgeConfig(o: Required<Omit<TwilioEdgeOptions, "acl">> & { acl?: readonly string[] }): string {
  const acl = (o.acl ?? []).map((a) => `${a}/32`).join(",");
  const ms = (value: number) => Math.max(1, Math.round(value * o.timeScale));
  return `#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
auto_aliases=no
listen=udp:${o.address}:${EDGE_PORT}
listen=tcp:${o.address}:${EDGE_PORT}
alias=${o.address}:${EDGE_PORT}
dns=no
rev_dns=no
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "ipops.so"
modparam("tm", "retr_timer1", ${Math.max(100, ms(500))})
modparam("tm", "retr_timer2", ${Math.max(400, ms(4000))})
modparam("tm", "fr_timer", ${ms(32000)})
modparam("tm", "fr_inv_timer", ${ms(30000)})

request_route {
	if ($si == "${o.address}") {
		route(FORWARD);
	}
	# Requests for the domain (new calls, and in-dialog requests to its callee) must come from
	# its IP ACL; in-dialog requests of calls placed from this edge may come from anywhere.
	if (${acl ? `(!has_totag() || $rp == ${o.calleePort}) && !is_in_subnet("$si", "${acl}")` : `!has_totag() || $rp == ${o.calleePort}`}) {
		xlog("L_NOTICE", "EDGE event=refused method=$rm src=$si:$sp proto=$proto callid=$ci\\n");
		if (!is_method("ACK")) {
			sl_send_reply("403", "Forbidden");
		}
		exit;
	}
	xlog("L_NOTICE", "EDGE event=admitted method=$rm src=$si:$sp proto=$proto callid=$ci\\n");
${o.replies === "symmetric" ? "\tforce_rport();\n" : ""}	if (!has_totag() && is_method("INVITE")) {
		record_route();
		$du = "sip:${o.address}:${o.calleePort}";
		t_relay();
		exit;
	}
	route(FORWARD);
}

route[FORWARD] {
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	if (has_totag()) {
		if (loose_route()) {
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				t_relay();
			}
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	record_route();
	t_relay();
	exit;
}
`;
}

export async function startTwilioEdge(ns: NetworkNamespace, options: TwilioEdgeOptions): Promise<TwilioEdge> {
  const o = { calleePort: 5070, replies: "strict" as const, timeScale: 1, ...options };
  const kamailio: RunningKamailio = await startKamailio(
    edgeConfig(o),
    { host: o.address, port: EDGE_PORT },
    { netns: ns },
  );
  const events = (event: string) =>
    [...kamailio.log().matchAll(new RegExp(`EDGE event=${event} method=(\\S+) src=(\\S+) proto=(\\S+)`, "g"))].map(
      ([, method, src, proto]) => `${method} from ${src}${proto === "udp" ? "" : ` over ${proto}`}`,
    );
  return {
    address: o.address,
    calleePort: o.calleePort,
    refused: () => events("refused"),
    admitted: () => events("admitted"),
    log: () => kamailio.log(),
    stop: () => kamailio.stop(),
  };
}

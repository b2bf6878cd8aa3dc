// The ladder `npm run twin` prints (lab/twin/ladder.ts), built from hand-written but real-shaped
// SIPp traces and Kamailio log lines (copied from a staging run of the twin, then trimmed).
import type { SipMessage } from "../../lab/trace";
import { renderCallLadder, twinPartyNames, type TwinCall, type TwinLogs } from "../../lab/twin/ladder";

const CALL_ID = "1-8195@54.172.60.1";
const SOURCE_EDGE = "54.172.60.1";
const DESTINATION_EDGE = "54.244.51.1";

/** A SIPp trace entry as lab/trace.ts parses it. */
function sip(direction: "sent" | "received", time: number, lines: string[]): SipMessage {
  const text = [...lines, `Call-ID: ${CALL_ID}`, "Content-Length: 0", "", ""].join("\r\n");
  return { time, direction, transport: "UDP", text, startLine: lines[0] };
}

const ROUTE_FROM_CALLER =
  "Route: <sip:54.172.60.1;lr;ftag=8195SIPpTag001>, <sip:203.0.113.10:5060;ftag=8195SIPpTag001;lr>, <sip:54.244.51.1;lr;ftag=8195SIPpTag001>";
const ROUTE_FROM_CALLEE =
  "Route: <sip:54.244.51.1;lr;ftag=8195SIPpTag001>, <sip:203.0.113.10:5060;ftag=8195SIPpTag001;lr>, <sip:54.172.60.1;lr;ftag=8195SIPpTag001>";

// A staging call the destination hangs up. The caller's edge flow is pinned to instance
// 10.0.8.10; the destination edge's BYE hashes to 10.0.9.10, which has no NLB flow towards the
// source edge, so its BYE leaves through the NAT gateway.
const caller: SipMessage[] = [
  sip("sent", 1000.0, [
    "INVITE sip:1000@203.0.113.10:5060 SIP/2.0",
    "Via: SIP/2.0/UDP 54.172.60.1:5063;branch=z9hG4bK-8195-1-0",
    "CSeq: 1 INVITE",
    "Contact: <sip:caller@54.172.60.1:5063;transport=UDP>",
  ]),
  sip("received", 1000.5, [
    "SIP/2.0 100 trying -- your call is important to us",
    "Via: SIP/2.0/UDP 54.172.60.1:5063;branch=z9hG4bK-8195-1-0",
    "CSeq: 1 INVITE",
  ]),
  sip("received", 1003.6, [
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 54.172.60.1:5063;branch=z9hG4bK-8195-1-0",
    "CSeq: 1 INVITE",
    "Contact: <sip:callee@54.244.51.1:5070;transport=UDP>",
  ]),
  sip("sent", 1003.8, [
    "ACK sip:callee@54.244.51.1:5070;transport=UDP SIP/2.0",
    "Via: SIP/2.0/UDP 54.172.60.1:5063;branch=z9hG4bK-8195-1-4",
    ROUTE_FROM_CALLER,
    "CSeq: 1 ACK",
  ]),
  sip("received", 1109.8, [
    "BYE sip:caller@54.172.60.1:5063;transport=UDP SIP/2.0",
    "Via: SIP/2.0/UDP 54.172.60.1;branch=z9hG4bKa",
    "Via: SIP/2.0/UDP 203.0.113.10:5060;received=203.0.113.20;branch=z9hG4bKb;rport=41857",
    "Via: SIP/2.0/UDP 54.244.51.1;branch=z9hG4bKc",
    "Via: SIP/2.0/UDP 54.244.51.1:5070;branch=z9hG4bK-8194-1-4",
    "CSeq: 1 BYE",
  ]),
  sip("sent", 1109.9, [
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 54.172.60.1;branch=z9hG4bKa, SIP/2.0/UDP 203.0.113.10:5060;received=203.0.113.20;branch=z9hG4bKb;rport=41857, SIP/2.0/UDP 54.244.51.1;branch=z9hG4bKc, SIP/2.0/UDP 54.244.51.1:5070;branch=z9hG4bK-8194-1-4",
    "CSeq: 1 BYE",
  ]),
];

const calleeVias =
  "Via: SIP/2.0/UDP 54.244.51.1;branch=z9hG4bKx, SIP/2.0/UDP 203.0.113.10:5060;received=203.0.113.20;branch=z9hG4bKy;rport=20133, SIP/2.0/UDP 54.172.60.1;branch=z9hG4bKz, SIP/2.0/UDP 54.172.60.1:5063;branch=z9hG4bK-8195-1-0";
const callee: SipMessage[] = [
  sip("received", 1002.0, ["INVITE sip:1000@54.244.51.1:5060 SIP/2.0", "CSeq: 1 INVITE"]),
  // Stamped after the caller's receipt of it (1003.6) and after the ACK (1003.8): two SIPp
  // processes' clocks; the ladder must still put the 200 before the ACK.
  sip("sent", 1004.0, ["SIP/2.0 200 OK", calleeVias, "CSeq: 1 INVITE", "Contact: <sip:callee@54.244.51.1:5070>"]),
  sip("received", 1004.5, ["ACK sip:callee@54.244.51.1:5070;transport=UDP SIP/2.0", "CSeq: 1 ACK"]),
  sip("sent", 1109.0, [
    "BYE sip:caller@54.172.60.1:5063;transport=UDP SIP/2.0",
    "Via: SIP/2.0/UDP 54.244.51.1:5070;branch=z9hG4bK-8194-1-4",
    ROUTE_FROM_CALLEE,
    "CSeq: 1 BYE",
  ]),
  sip("received", 1110.5, ["SIP/2.0 200 OK", "CSeq: 1 BYE"]),
];

const siplog = (worker: string, rest: string) => ` ${worker} NOTICE: <script>: SIPLOG ${rest}`;
const edgelog = (rest: string) => ` 2(4449) NOTICE: <script>: EDGE ${rest}`;

const logs: TwinLogs = {
  proxies: [
    {
      privateIp: "10.0.8.10",
      log: [
        " 0(4464) WARNING: <core> [core/cfg.y:4022]: warn_at(): warning in config file: constant value in if(...)",
        siplog(
          "1(4468)",
          `event=request method=INVITE dialog=new src=54.172.60.1:5060 proto=udp callid=${CALL_ID} ruri_host=203.0.113.10:5060`,
        ),
        siplog("7(4474)", `event=reply code=200 method=INVITE src=54.244.51.1 callid=${CALL_ID} origin=destination`),
        siplog(
          "2(4469)",
          `event=request method=ACK dialog=existing src=54.172.60.1:5060 proto=udp callid=${CALL_ID} ruri_host=54.244.51.1:5070`,
        ),
        // Another call's lines: not this ladder's.
        siplog(
          "3(4470)",
          "event=request method=BYE dialog=existing src=54.172.60.1:5060 proto=udp callid=1-8161@54.172.60.1 ruri_host=54.244.51.1:5070",
        ),
      ].join("\n"),
    },
    {
      privateIp: "10.0.9.10",
      log: [
        siplog(
          "2(4490)",
          `event=request method=BYE dialog=existing src=54.244.51.1:5060 proto=udp callid=${CALL_ID} ruri_host=54.172.60.1:5063`,
        ),
        siplog("3(4491)", `event=reply code=200 method=BYE src=54.172.60.1 callid=${CALL_ID} origin=destination`),
      ].join("\n"),
    },
  ],
  edges: [
    // The edges' lines, with or without the transport (proto=): key=value pairs, in any order.
    {
      address: SOURCE_EDGE,
      log: edgelog(`event=admitted method=BYE src=203.0.113.20:41857 proto=udp callid=${CALL_ID}`),
    },
    {
      address: DESTINATION_EDGE,
      log: [
        edgelog("event=admitted method=INVITE src=203.0.113.20:20133 callid=1-8161@54.172.60.1"),
        edgelog(`event=admitted method=INVITE src=203.0.113.20:20133 callid=${CALL_ID}`),
        edgelog(`event=admitted method=ACK src=203.0.113.20:20133 callid=${CALL_ID}`),
      ].join("\n"),
    },
  ],
};

const STAGING = twinPartyNames("load-balanced", ["10.0.8.10", "10.0.9.10"]);
const call: TwinCall = {
  title: "the destination hangs up",
  caller,
  callee,
  callerEdge: SOURCE_EDGE,
  calleeEdge: DESTINATION_EDGE,
};

describe("the twin's call ladder", () => {
  it("shows each message's hops and the source address every party logged, in the caller's order", () => {
    expect(renderCallLadder(2, call, logs, STAGING)).toEqual([
      "call 2: the destination hangs up",
      "  Call-ID 1-8195@54.172.60.1; handled by instance 10.0.8.10 and instance 10.0.9.10",
      "  caller 54.172.60.1:5063 (SIPp) sends through the source edge 54.172.60.1:5060",
      "  callee 54.244.51.1:5070 (SIPp) sits behind the destination edge 54.244.51.1:5060",
      "",
      "           caller   src edge proxy    dst edge callee",
      "   0.0 ms  |------->|------->|------->|------->|   INVITE -> 203.0.113.10:5060 (NLB)",
      "           |        |        |        |        |     instance 10.0.8.10 sees src 54.172.60.1:5060 (source edge)",
      "           |        |        |        |        |     destination edge sees src 203.0.113.20:20133 (NAT gateway): admitted",
      "   0.5 ms  |<-------|        |        |        |   100 trying (INVITE) from the source edge (each hop answers 100 itself)",
      "   3.6 ms  |<-------|<-------|<-------|<-------|   200 OK (INVITE) -> 203.0.113.20:20133 (NAT gateway, the proxy's Via)",
      "           |        |        |        |        |     instance 10.0.8.10 sees src 54.244.51.1 (destination edge)",
      "   3.8 ms  |------->|------->|------->|------->|   ACK -> 203.0.113.10:5060 (NLB)",
      "           |        |        |        |        |     instance 10.0.8.10 sees src 54.172.60.1:5060 (source edge)",
      "           |        |        |        |        |     destination edge sees src 203.0.113.20:20133 (NAT gateway): admitted",
      " 109.8 ms  |<-------|<-------|<-------|<-------|   BYE -> 203.0.113.10:5060 (NLB)",
      "           |        |        |        |        |     instance 10.0.9.10 sees src 54.244.51.1:5060 (destination edge)",
      "           |        |        |        |        |     source edge sees src 203.0.113.20:41857 (NAT gateway): admitted",
      " 109.9 ms  |------->|------->|------->|------->|   200 OK (BYE) -> 203.0.113.20:41857 (NAT gateway, the proxy's Via)",
      "           |        |        |        |        |     instance 10.0.9.10 sees src 54.172.60.1 (source edge)",
      "",
      "  sources each party logged:",
      "    instance 10.0.8.10 <- 54.172.60.1:5060 (source edge): INVITE, ACK",
      "    instance 10.0.8.10 <- 54.244.51.1 (destination edge): 200 INVITE",
      "    instance 10.0.9.10 <- 54.244.51.1:5060 (destination edge): BYE",
      "    instance 10.0.9.10 <- 54.172.60.1 (source edge): 200 BYE",
      "    source edge        <- 203.0.113.20:41857 (NAT gateway): BYE admitted",
      "    destination edge   <- 203.0.113.20:20133 (NAT gateway): INVITE admitted, ACK admitted",
    ]);
  });

  it("tells which way a request went by its Request-URI's host and port (SIPLOG keeps no user part)", () => {
    // Glare: instance 10.0.8.10 also logged a BYE of this call, one towards the callee.
    const glare = siplog(
      "4(4471)",
      `event=request method=BYE dialog=existing src=54.172.60.1:5060 proto=udp callid=${CALL_ID} ruri_host=54.244.51.1:5070`,
    );
    const withGlare: TwinLogs = {
      ...logs,
      proxies: logs.proxies.map((p) => (p.privateIp === "10.0.8.10" ? { ...p, log: `${p.log}\n${glare}` } : p)),
    };
    const lines = renderCallLadder(2, call, withGlare, STAGING);
    // The callee's BYE went to the caller (sip:caller@54.172.60.1:5063): only 10.0.9.10 logged that one.
    const bye = lines.findIndex((l) => l.endsWith("BYE -> 203.0.113.10:5060 (NLB)"));
    expect(lines[bye + 1]).toBe(
      "           |        |        |        |        |     instance 10.0.9.10 sees src 54.244.51.1:5060 (destination edge)",
    );
  });

  it("stops a refused INVITE at the destination's edge and shows the 403 coming from there", () => {
    // Without the egress port, a call from the destination's own edge reaches it as the NLB.
    const id = "1-9001@54.244.51.1";
    const withId = (m: SipMessage): SipMessage => ({ ...m, text: m.text.replace(CALL_ID, id) });
    const refusedCall: TwinCall = {
      title: "the caller is on the destination's own edge address",
      caller: [
        sip("sent", 0, [
          "INVITE sip:1000@203.0.113.10:5060 SIP/2.0",
          "Via: SIP/2.0/UDP 54.244.51.1:5064;branch=z9hG4bK-9001-1-0",
          "CSeq: 1 INVITE",
          "Contact: <sip:caller@54.244.51.1:5064;transport=UDP>",
        ]),
        sip("received", 2.5, ["SIP/2.0 403 Forbidden", "CSeq: 1 INVITE"]),
      ].map(withId),
      callee: [],
      callerEdge: DESTINATION_EDGE,
      calleeEdge: DESTINATION_EDGE,
    };
    const refusedLogs: TwinLogs = {
      proxies: [
        {
          privateIp: "10.0.9.10",
          log: [
            siplog(
              "1(4468)",
              `event=request method=INVITE dialog=new src=54.244.51.1:5060 proto=udp callid=${id} ruri_host=203.0.113.10:5060`,
            ),
            siplog("5(4472)", `event=reply code=403 method=INVITE src=54.244.51.1 callid=${id} origin=destination`),
          ].join("\n"),
        },
      ],
      edges: [
        { address: DESTINATION_EDGE, log: edgelog(`event=refused method=INVITE src=203.0.113.10:5060 callid=${id}`) },
      ],
    };
    const lines = renderCallLadder(3, refusedCall, refusedLogs, STAGING);
    expect(lines.slice(5, 10)).toEqual([
      "           caller   dst edge proxy    dst edge callee",
      "   0.0 ms  |------->|------->|------->X        |   INVITE -> 203.0.113.10:5060 (NLB); never reached the callee",
      "           |        |        |        |        |     instance 10.0.9.10 sees src 54.244.51.1:5060 (destination edge)",
      "           |        |        |        |        |     destination edge sees src 203.0.113.10:5060 (NLB): refused (403: not in its IP ACL)",
      "   2.5 ms  |<-------|<-------|<-------|        |   403 Forbidden (INVITE) from the destination edge, not the callee",
    ]);
  });

  it("names the single architecture's Elastic IP, and no NLB or NAT gateway", () => {
    const dev = twinPartyNames("single", ["10.0.8.10"]);
    expect(dev).toEqual({
      "54.172.60.1": "source edge",
      "54.244.51.1": "destination edge",
      "203.0.113.30": "Elastic IP",
      "10.0.8.10": "instance 10.0.8.10",
    });
  });
});

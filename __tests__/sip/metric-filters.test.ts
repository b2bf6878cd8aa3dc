// The CloudWatch metric filters are checked against log lines a real Kamailio wrote for
// real calls: a 2xx call, a 403 (source outside the allowed range) and a 408 (nothing
// listens at the destination; short transaction timer). The calls dial a telephone number,
// and the same lines (CloudWatch Logs keeps them) are checked to carry none of it, nor any
// other URI user part, while keeping what troubleshooting needs: Call-ID, source, URI host.
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { SIP_METRIC_FILTERS, type SipMetric } from "../../constructs/monitoring";
import { CALLER_IP, OUTSIDER_IP, SipLab } from "../../lab/harness";
import { sipRequest } from "../../lab/kamailio";
import type { SippResult } from "../../lab/sipp";
import { headerValues } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

/** CloudWatch Logs semantics for a pattern of quoted terms: every term appears in the event. */
const matches = (terms: readonly string[], line: string) => terms.every((term) => line.includes(term));

/** The telephone number every call dials: the Request-URI's (and To's) user part. */
const DIALLED = "15551234567";
/** Call-ID of the in-dialog request the proxy cannot relay (no SCTP socket): event=relay-error. */
const UNRELAYABLE_CALL_ID = "unrelayable-bye";
const callIdOf = (r: SippResult) => headerValues(r.messages.find((m) => m.direction === "sent")!, "Call-ID")[0];
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("SIP metric filters on real Kamailio log lines", () => {
  const cfg = parseEnvironment({
    ...environments.find((e) => e.name === "dev")!,
    sip: { transactionTimeoutMs: 1000, ringTimeoutMs: 10000 },
  });
  let lab: SipLab;
  let lines: string[] = [];
  let answeredCallId = "";
  let relayReply = "";

  beforeAll(async () => {
    requireKamailioRoot();
    requireTool("sipp");
    lab = await SipLab.start(cfg);
    const uas = await lab.destinationPeer("uas-answer.xml");
    const answered = await lab.call("uac-call.xml", { service: DIALLED });
    await uas.finish();
    const rejected = await lab.call("uac-rejected.xml", {
      service: DIALLED,
      localIp: OUTSIDER_IP,
      vars: { expect: "403", max_forwards: "70" },
    });
    // No destination peer now: the INVITE goes unanswered and the transaction timer fires.
    const timedOut = await lab.call("uac-rejected.xml", {
      service: DIALLED,
      vars: { expect: "408", max_forwards: "70" },
    });
    for (const r of [answered, rejected, timedOut]) {
      if (r.exitCode !== 0) throw new Error(`call scenario failed:\n${r.errors}`);
    }
    answeredCallId = callIdOf(answered);
    // An in-dialog BYE whose Request-URI (the dialled number again) asks for a transport the
    // proxy has no socket for: t_relay fails, which writes the event=relay-error line.
    relayReply = await sipRequest(
      [
        `BYE sip:${DIALLED}@127.0.0.1:9;transport=sctp SIP/2.0`,
        `Via: SIP/2.0/UDP LOCAL_ADDRESS:LOCAL_PORT;branch=z9hG4bK-${UNRELAYABLE_CALL_ID}`,
        `Route: <sip:${lab.proxy.host}:${lab.proxy.port};lr>`,
        "Max-Forwards: 70",
        `From: "Jane Doe" <sip:+15559876543@LOCAL_ADDRESS>;tag=caller-${UNRELAYABLE_CALL_ID}`,
        `To: <sip:${DIALLED}@${lab.proxy.host}>;tag=callee-${UNRELAYABLE_CALL_ID}`,
        `Call-ID: ${UNRELAYABLE_CALL_ID}`,
        "CSeq: 2 BYE",
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n"),
      lab.proxy,
      CALLER_IP,
    );
    lines = lab
      .kamailioLog()
      .split("\n")
      .filter((l) => l.includes("SIPLOG") && !l.includes("method=OPTIONS"));
  });

  afterAll(async () => {
    await lab?.stop();
  });

  const count = (metric: SipMetric) => lines.filter((l) => matches(SIP_METRIC_FILTERS[metric], l)).length;

  it("counts each new INVITE once, not its ACK, BYE or replies", () => {
    expect(count("NewInvites")).toBe(3);
  });

  it("counts answered INVITEs and 2xx replies", () => {
    expect(count("AnsweredInvites")).toBe(1);
    expect(count("Replies2xx")).toBe(2); // 200 for the INVITE and for the BYE
  });

  it("counts the 403 and the 408 as 4xx, each also in its own metric", () => {
    expect(count("Replies4xx")).toBe(2);
    expect(count("Timeouts408")).toBe(1);
    expect(count("RejectedSources403")).toBe(1);
    expect(count("Replies5xx")).toBe(0);
  });

  it("writes the matched terms on the lines that mean them", () => {
    const timeout = lines.find((l) => matches(SIP_METRIC_FILTERS.Timeouts408, l))!;
    expect(timeout.slice(timeout.indexOf("SIPLOG"))).toMatch(
      /^SIPLOG event=reply code=408 method=INVITE src=127\.0\.0\.2 callid=\S+ origin=timeout$/,
    );
    const rejected = lines.find((l) => matches(SIP_METRIC_FILTERS.RejectedSources403, l))!;
    expect(rejected).toContain(`src=${OUTSIDER_IP}`);
  });

  describe("what the lines keep (CloudWatch Logs stores them)", () => {
    it("keeps the dialled number, and every other URI user part, out of the SIPLOG lines", () => {
      const siplog = lab
        .kamailioLog()
        .split("\n")
        .filter((l) => l.includes("SIPLOG "))
        .map((l) => l.slice(l.indexOf("SIPLOG ")));
      expect(siplog.some((l) => l.startsWith("SIPLOG event=relay-error "))).toBe(true);
      expect(siplog.filter((l) => l.includes(DIALLED) || l.includes("+15559876543"))).toEqual([]);
      // No user@host at all outside the Call-ID (SIPp's From and Contact users are "caller", the
      // destination's Contact user "callee"), and no display name.
      const withoutCallId = siplog.map((l) => l.replace(/ callid=\S+/, ""));
      expect(withoutCallId.filter((l) => /@|caller|callee|Jane/.test(l))).toEqual([]);
    });

    it("keeps the Call-ID, the source and the Request-URI's host and port on each call's lines", () => {
      const id = escape(answeredCallId);
      const { proxy, destination } = lab;
      expect(lab.siplog(answeredCallId)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(
              `^SIPLOG event=request method=INVITE dialog=new src=127\\.0\\.0\\.2:\\d+ proto=udp callid=${id} ruri_host=${escape(proxy.host)}:${proxy.port}$`,
            ),
          ),
          expect.stringMatching(
            new RegExp(
              `^SIPLOG event=request method=BYE dialog=existing src=127\\.0\\.0\\.2:\\d+ proto=udp callid=${id} ruri_host=${escape(destination.host)}:${destination.port}$`,
            ),
          ),
        ]),
      );
      expect(relayReply.split("\r\n")[0]).toMatch(/^SIP\/2\.0 500 /);
      expect(lab.siplog(UNRELAYABLE_CALL_ID)).toContain(
        `SIPLOG event=relay-error method=BYE src=${CALLER_IP} callid=${UNRELAYABLE_CALL_ID} ruri_host=127.0.0.1:9`,
      );
    });

    it("writes the dialled number on no line of Kamailio's log at dev's level (info)", () => {
      // What the CloudWatch agent ships is the whole log, Kamailio's own lines included (dev logs
      // at info). Well-formed requests only: sanity echoes an unparseable Request-URI at WARNING.
      expect(cfg.logLevel).toBe("info");
      expect(
        lab
          .kamailioLog()
          .split("\n")
          .filter((l) => l.includes(DIALLED) || l.includes("+15559876543")),
      ).toEqual([]);
    });
  });
});

// The SIP core, exercised with a real Kamailio and real SIPp peers on loopback. The config
// is dev's, in its lab variant (same core and parameters, loopback addresses). Assertions are
// on what the peers saw on the wire, not only on SIPp's exit code.
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { CALLER_IP, OUTSIDER_IP, SipLab } from "../../lab/harness";
import { sipRequest } from "../../lab/kamailio";
import type { SippResult } from "../../lab/sipp";
import { bodyOf, cseqMethod, fromTag, headerValues, kindOf, type SipMessage } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(20000);

const cfg = parseEnvironment(environments.find((e) => e.name === "dev"));

const received = (r: SippResult) => r.messages.filter((m) => m.direction === "received");
const sent = (r: SippResult) => r.messages.filter((m) => m.direction === "sent");
const kinds = (messages: SipMessage[]) => messages.map((m) => `${kindOf(m)}/${cseqMethod(m)}`);
const firstOf = (messages: SipMessage[], kind: string) => messages.find((m) => kindOf(m) === kind);

function expectSuccess(result: SippResult): void {
  expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: "" });
}

type PeerOptions = Parameters<SipLab["call"]>[1];

/** Runs the destination and the caller scenario; both must complete their scenarios. */
async function completedCall(
  lab: SipLab,
  destination: string,
  caller: string,
  options: { destination?: PeerOptions; caller?: PeerOptions } = {},
) {
  const uas = await lab.destinationPeer(destination, options.destination);
  const callerResult = await lab.call(caller, options.caller);
  const calleeResult = await uas.finish();
  expectSuccess(callerResult);
  expectSuccess(calleeResult);
  return { caller: callerResult, callee: calleeResult };
}

describe("SIP calls through the proxy (UDP)", () => {
  let lab: SipLab;

  beforeAll(async () => {
    requireKamailioRoot();
    requireTool("sipp");
    lab = await SipLab.start(cfg);
  }, 30000);

  afterAll(async () => {
    await lab?.stop();
  });

  it("connects a basic call: the destination sees the rewritten URI, one Record-Route, the proxy's Via and Max-Forwards - 1", async () => {
    const { caller, callee } = await completedCall(lab, "uas-answer.xml", "uac-call.xml");

    // A 180 may lose the race with the 200 across Kamailio's workers; the 200 is what counts.
    expect(kinds(received(caller))).toEqual(expect.arrayContaining(["200/INVITE", "200/BYE"]));
    expect(kinds(received(callee))).toEqual(["INVITE/INVITE", "ACK/ACK", "BYE/BYE"]);

    const invite = received(callee)[0];
    const { port } = lab.destination;
    expect(invite.startLine).toBe(`INVITE sip:1000@127.0.0.1:${port} SIP/2.0`);
    // ftag: the caller's From tag, which tells its in-dialog requests from the destination's.
    expect(headerValues(invite, "Record-Route")).toEqual([
      `<sip:127.0.0.1:${lab.proxy.port};ftag=${fromTag(invite)};lr>`,
    ]);
    expect(headerValues(invite, "Via")[0]).toMatch(
      new RegExp(`^SIP/2.0/UDP 127\\.0\\.0\\.1:${lab.proxy.port};branch=z9hG4bK`),
    );
    expect(headerValues(invite, "Via")[1]).toMatch(new RegExp(`^SIP/2.0/UDP ${CALLER_IP}:\\d+;`));
    expect(headerValues(invite, "Max-Forwards")).toEqual(["69"]);
    expect(bodyOf(invite)).toBe(bodyOf(sent(caller)[0]));

    // ACK and BYE followed the recorded route: they reached the destination through the proxy.
    for (const inDialog of received(callee).slice(1)) {
      expect(inDialog.startLine).toMatch(/^(ACK|BYE) sip:callee@127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0$/);
      expect(headerValues(inDialog, "Via")[0]).toContain(`127.0.0.1:${lab.proxy.port}`);
    }

    const callId = headerValues(invite, "Call-ID")[0];
    expect(lab.siplog(callId)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SIPLOG event=request method=INVITE dialog=new src=127\.0\.0\.2:\d+ proto=udp /),
        expect.stringMatching(/^SIPLOG event=reply code=200 method=INVITE .* origin=destination$/),
        expect.stringMatching(/^SIPLOG event=reply code=200 method=BYE .* origin=destination$/),
      ]),
    );
  });

  it("routes the destination's BYE back to the caller along the Record-Route", async () => {
    const { caller, callee } = await completedCall(lab, "uas-hangup.xml", "uac-callee-hangup.xml", {
      destination: { pauseMs: 100 },
    });

    const bye = firstOf(received(caller), "BYE")!;
    expect(bye.startLine).toMatch(
      new RegExp(`^BYE sip:caller@${CALLER_IP.replace(/\./g, "\\.")}:\\d+;transport=UDP SIP/2.0$`),
    );
    expect(headerValues(bye, "Via")[0]).toContain(`127.0.0.1:${lab.proxy.port}`);
    expect(headerValues(bye, "Route")).toEqual([]);
    expect(kinds(received(callee))).toContain("200/BYE");
  });

  it("cancels a ringing call: the CANCEL reaches the destination and the caller gets 487", async () => {
    const { caller, callee } = await completedCall(lab, "uas-cancel.xml", "uac-cancel.xml");
    expect(kinds(received(caller))).toEqual(expect.arrayContaining(["180/INVITE", "200/CANCEL", "487/INVITE"]));
    expect(kinds(received(callee))).toEqual(["INVITE/INVITE", "CANCEL/CANCEL", "ACK/ACK"]);
    const [invite, cancel] = received(callee);
    // The proxy's CANCEL matches the INVITE it forwarded (same branch), as RFC 3261 requires.
    expect(headerValues(cancel, "Via")[0]).toBe(headerValues(invite, "Via")[0]);
  });

  it("passes a busy reply to the caller and acknowledges it hop by hop", async () => {
    const { caller, callee } = await completedCall(lab, "uas-reject.xml", "uac-rejected.xml", {
      destination: { vars: { code: "486", reason: "Busy Here" } },
      caller: { vars: { expect: "486", max_forwards: "70" } },
    });
    expect(kinds(received(caller))).toContain("486/INVITE");
    const [invite, ack] = received(callee);
    expect(kindOf(ack)).toBe("ACK");
    // The ACK for a non-2xx reply comes from the proxy's own transaction (same branch as the
    // INVITE it sent), not relayed from the caller.
    expect(headerValues(ack, "Via")).toEqual([headerValues(invite, "Via")[0]]);
  });

  it("rejects an INVITE from outside the allowed range with 403, and nothing reaches the destination", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-rejected.xml", {
      localIp: OUTSIDER_IP,
      vars: { expect: "403", max_forwards: "70" },
    });
    const callee = await uas.stop();
    expectSuccess(caller);
    expect(firstOf(received(caller), "403")!.startLine).toBe("SIP/2.0 403 Forbidden");
    expect(received(callee)).toEqual([]);
    const callId = headerValues(sent(caller)[0], "Call-ID")[0];
    expect(lab.siplog(callId)).toContainEqual(
      expect.stringMatching(
        /^SIPLOG event=reply code=403 method=INVITE src=127\.0\.0\.3 .* origin=proxy reason=source$/,
      ),
    );
  });

  it("answers an INVITE without a user part with 484, and nothing reaches the destination", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    const callId = `no-user-${Date.now()}`;
    const invite = [
      `INVITE sip:${lab.proxy.host}:${lab.proxy.port} SIP/2.0`,
      `Via: SIP/2.0/UDP LOCAL_ADDRESS:LOCAL_PORT;branch=z9hG4bK-${callId}`,
      "Max-Forwards: 70",
      `X-Twilio-AccountSid: ${lab.accountSid}`,
      `From: <sip:caller@LOCAL_ADDRESS>;tag=${callId}`,
      `To: <sip:${lab.proxy.host}:${lab.proxy.port}>`,
      `Call-ID: ${callId}`,
      "CSeq: 1 INVITE",
      "Contact: <sip:caller@LOCAL_ADDRESS:LOCAL_PORT>",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
    const reply = await sipRequest(invite, lab.proxy, CALLER_IP);
    const callee = await uas.stop();
    expect(reply.split("\r\n")[0]).toBe("SIP/2.0 484 Address Incomplete");
    expect(received(callee)).toEqual([]);
    expect(lab.siplog(callId)).toContainEqual(expect.stringMatching(/^SIPLOG event=reply code=484 method=INVITE /));
  });

  it("answers OPTIONS addressed to the proxy with 200", async () => {
    const probe = await lab.call("uac-options.xml");
    expectSuccess(probe);
    expect(firstOf(received(probe), "200")!.startLine).toBe("SIP/2.0 200 OK");
  });

  it("answers an INVITE with Max-Forwards 0 with 483, and nothing reaches the destination", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-rejected.xml", { vars: { expect: "483", max_forwards: "0" } });
    const callee = await uas.stop();
    expectSuccess(caller);
    expect(firstOf(received(caller), "483")!.startLine).toBe("SIP/2.0 483 Too Many Hops");
    expect(received(callee)).toEqual([]);
  });

  it("sends an INVITE larger than 1300 bytes that arrived over UDP on over TCP, intact (RFC 3261 18.1.1)", async () => {
    // The destination listens on TCP: the proxy must not send a fragmenting UDP datagram.
    const { caller, callee } = await completedCall(lab, "uas-answer.xml", "uac-big-invite.xml", {
      destination: { transport: "tcp" },
      caller: { vars: { padding: "x".repeat(300) } },
    });
    const original = sent(caller)[0];
    const relayed = received(callee)[0];
    expect(original.transport).toBe("UDP");
    expect(Buffer.byteLength(original.text)).toBeGreaterThan(1500);
    expect(relayed.transport).toBe("TCP");
    expect(headerValues(relayed, "Via")[0]).toMatch(/^SIP\/2\.0\/TCP 127\.0\.0\.1:/);
    expect(bodyOf(relayed)).toBe(bodyOf(original));
    for (const header of ["Identity", "Proxy-Authorization", "X-Padding", "From", "Content-Length"]) {
      expect({ header, value: headerValues(relayed, header) }).toEqual({
        header,
        value: headerValues(original, header),
      });
    }
  });

  it("keeps a re-INVITE inside the dialog on the recorded route", async () => {
    const { caller, callee } = await completedCall(lab, "uas-reinvite.xml", "uac-reinvite.xml", {
      destination: { vars: { reinvite_code: "200", reinvite_reason: "OK" } },
      caller: { vars: { reinvite_code: "200" } },
    });
    expect(kinds(received(callee))).toEqual(["INVITE/INVITE", "ACK/ACK", "INVITE/INVITE", "ACK/ACK", "BYE/BYE"]);
    const reinvite = received(callee)[2];
    expect(reinvite.startLine).toMatch(/^INVITE sip:callee@127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0$/);
    expect(headerValues(reinvite, "CSeq")).toEqual(["2 INVITE"]);
    expect(headerValues(reinvite, "Via")[0]).toContain(`127.0.0.1:${lab.proxy.port}`);
    expect(bodyOf(reinvite)).toContain("a=sendonly");
    expect(kinds(received(caller))).toContain("200/INVITE");
  });

  it(`answers 408 within the transaction timer (${cfg.sip.transactionTimeoutMs} ms) when the destination is silent`, async () => {
    const uas = await lab.destinationPeer("uas-silent.xml", { timeoutSeconds: 30 });
    const caller = await lab.call("uac-rejected.xml", {
      vars: { expect: "408", max_forwards: "70" },
      timeoutSeconds: 20,
    });
    await uas.stop();
    expectSuccess(caller);
    const invite = sent(caller)[0];
    const timeout = firstOf(received(caller), "408")!;
    const elapsed = timeout.time - invite.time;
    // Kamailio's timers tick every 100 ms.
    expect(elapsed).toBeGreaterThanOrEqual(cfg.sip.transactionTimeoutMs - 150);
    expect(elapsed).toBeLessThanOrEqual(cfg.sip.transactionTimeoutMs + 1000);
    const callId = headerValues(invite, "Call-ID")[0];
    expect(lab.siplog(callId)).toContainEqual(
      expect.stringMatching(/^SIPLOG event=reply code=408 method=INVITE .* origin=timeout$/),
    );
  }, 30000);
});

describe("SIP calls through the proxy (TCP)", () => {
  let lab: SipLab;

  beforeAll(async () => {
    requireKamailioRoot();
    requireTool("sipp");
    lab = await SipLab.start(cfg, { destinationTransport: "tcp" });
  }, 30000);

  afterAll(async () => {
    await lab?.stop();
  });

  it("connects a call over TCP end to end", async () => {
    const { caller, callee } = await completedCall(lab, "uas-answer.xml", "uac-call.xml", {
      destination: { transport: "tcp" },
      caller: { transport: "tcp" },
    });
    const invite = received(callee)[0];
    expect(invite.transport).toBe("TCP");
    expect(invite.startLine).toBe(`INVITE sip:1000@127.0.0.1:${lab.destination.port};transport=tcp SIP/2.0`);
    expect(headerValues(invite, "Record-Route")).toEqual([
      `<sip:127.0.0.1:${lab.proxy.port};transport=tcp;ftag=${fromTag(invite)};lr>`,
    ]);
    expect(headerValues(invite, "Via")[0]).toMatch(/^SIP\/2\.0\/TCP /);
    expect(kinds(received(callee))).toEqual(["INVITE/INVITE", "ACK/ACK", "BYE/BYE"]);
    expect(received(caller).every((m) => m.transport === "TCP")).toBe(true);
  });

  it("relays an INVITE larger than 1500 bytes intact over TCP", async () => {
    const { caller, callee } = await completedCall(lab, "uas-answer.xml", "uac-big-invite.xml", {
      destination: { transport: "tcp" },
      caller: { transport: "tcp", vars: { padding: "y".repeat(300) } },
    });
    const original = sent(caller)[0];
    const relayed = received(callee)[0];
    expect(Buffer.byteLength(original.text)).toBeGreaterThan(1500);
    expect(relayed.transport).toBe("TCP");
    expect(bodyOf(relayed)).toBe(bodyOf(original));
    expect(headerValues(relayed, "X-Padding")).toEqual(headerValues(original, "X-Padding"));
  });

  it("bridges a UDP caller to a TCP destination with a Record-Route for each side", async () => {
    const { caller, callee } = await completedCall(lab, "uas-hangup.xml", "uac-callee-hangup.xml", {
      destination: { transport: "tcp", pauseMs: 100 },
      caller: { transport: "udp" },
    });
    const { port } = lab.proxy;
    // First entry faces the destination (TCP), second the caller (UDP).
    const rr = headerValues(received(callee)[0], "Record-Route").flatMap((v) => v.split(/,\s*/));
    const ftag = fromTag(received(callee)[0]);
    // r2=on: loose_route takes both entries for the proxy's own (see kamailio.cfg).
    expect(rr).toEqual([
      `<sip:127.0.0.1:${port};transport=tcp;r2=on;ftag=${ftag};lr>`,
      `<sip:127.0.0.1:${port};r2=on;ftag=${ftag};lr>`,
    ]);
    // The destination's BYE went out over TCP and reached the caller over UDP, passing the
    // proxy once: not sent on to the proxy's own advertised address, which behind an NLB
    // would never arrive.
    const bye = firstOf(received(caller), "BYE")!;
    expect(bye.transport).toBe("UDP");
    expect(headerValues(bye, "Route")).toEqual([]);
    const byeCallId = headerValues(bye, "Call-ID")[0];
    expect(lab.siplog(byeCallId).filter((l) => l.includes("event=request method=BYE"))).toHaveLength(1);
  });
});

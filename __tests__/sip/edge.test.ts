// The proxy's internet-facing edge: scanners, floods, methods it does not serve, and
// malformed input, against a real Kamailio running dev's lab config.
import { createSocket } from "node:dgram";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { SIP_METRIC_FILTERS } from "../../constructs/monitoring";
import { brokenTcpStream, malformedMessages, sendDatagrams } from "../../lab/fuzz";
import { CALLER_IP, OUTSIDER_IP, SipLab } from "../../lab/harness";
import { sipRequest } from "../../lab/kamailio";
import { headerValues, kindOf } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(60000);

const cfg = parseEnvironment(environments.find((e) => e.name === "dev"));

let proxyPort = 0;

function request(method: string, id: string, extraHeaders: string[] = [], to = "127.0.0.1"): string {
  return [
    `${method} sip:${method === "OPTIONS" ? "" : "1000@"}${to}:${proxyPort} SIP/2.0`,
    `Via: SIP/2.0/UDP LOCAL_ADDRESS:LOCAL_PORT;branch=z9hG4bK-${id}`,
    "Max-Forwards: 70",
    `From: <sip:probe@LOCAL_ADDRESS>;tag=${id}`,
    `To: <sip:1000@${to}>`,
    `Call-ID: ${id}`,
    `CSeq: 1 ${method}`,
    "Contact: <sip:probe@LOCAL_ADDRESS:LOCAL_PORT>",
    ...extraHeaders,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}

/** Sends `count` OPTIONS from one address as fast as possible and counts the replies. */
async function burst(lab: SipLab, from: string, count: number): Promise<number> {
  const socket = createSocket("udp4");
  let replies = 0;
  socket.on("message", () => replies++);
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  const { port } = socket.address();
  for (let i = 0; i < count; i++) {
    const text = request("OPTIONS", `flood-${from}-${i}`)
      .replace(/LOCAL_ADDRESS/g, from)
      .replace(/LOCAL_PORT/g, String(port));
    await new Promise<void>((resolve) => socket.send(text, lab.proxy.port, lab.proxy.host, () => resolve()));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  socket.close();
  return replies;
}

describe("the SIP edge", () => {
  let lab: SipLab;

  beforeAll(async () => {
    requireKamailioRoot();
    requireTool("sipp");
    lab = await SipLab.start(cfg);
    proxyPort = lab.proxy.port;
  }, 30000);

  afterAll(async () => {
    await lab?.stop();
  });

  it("gives a known scanner no reply at all", async () => {
    const scan = request("OPTIONS", "scan-1", ["User-Agent: friendly-scanner"]);
    await expect(sipRequest(scan, lab.proxy, OUTSIDER_IP, 1000)).rejects.toThrow(/no SIP reply/);
    const invite = request("INVITE", "scan-2", ["User-Agent: sipvicious"]);
    await expect(sipRequest(invite, lab.proxy, CALLER_IP, 1000)).rejects.toThrow(/no SIP reply/);
    // The same request without the scanner's User-Agent is answered.
    expect((await sipRequest(request("OPTIONS", "scan-3"), lab.proxy, OUTSIDER_IP)).split("\r\n")[0]).toBe(
      "SIP/2.0 200 OK",
    );
  });

  it("answers REGISTER and SUBSCRIBE with 405 and relays nothing", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    for (const method of ["REGISTER", "SUBSCRIBE", "MESSAGE"]) {
      const reply = await sipRequest(request(method, `method-${method}`), lab.proxy, CALLER_IP);
      expect({ method, status: reply.split("\r\n")[0] }).toEqual({ method, status: "SIP/2.0 405 Method Not Allowed" });
      expect(headerValues(reply, "Allow")).toEqual(["INVITE, ACK, CANCEL, BYE, OPTIONS"]);
    }
    const callee = await uas.stop();
    expect(callee.messages).toEqual([]);
  });

  it("answers a CANCEL that matches no INVITE here with 481, and relays nothing", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    // Behind the load balancer, a CANCEL can reach an instance that never saw its INVITE.
    const reply = await sipRequest(request("CANCEL", "orphan-cancel"), lab.proxy, CALLER_IP);
    const callee = await uas.stop();
    expect(reply.split("\r\n")[0]).toBe("SIP/2.0 481 Call/Transaction Does Not Exist");
    expect(callee.messages).toEqual([]);
    expect(lab.siplog("orphan-cancel")).toContainEqual(
      expect.stringMatching(/^SIPLOG event=reply code=481 method=CANCEL .* origin=proxy$/),
    );
  });

  it("bans a flooding source outside the allowed ranges while an allowed caller at a higher rate completes every call", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml", { calls: 1000, timeoutSeconds: 30 });
    // 60 calls/s from the allowed range: far above the per-address flood threshold.
    const callerRun = lab.call("uac-call.xml", { calls: 300, rate: 60, limit: 200, trace: false, timeoutSeconds: 25 });
    const answered = await burst(lab, OUTSIDER_IP, 400);
    const caller = await callerRun;
    await uas.stop();

    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(60);
    expect(lab.kamailioLog()).toContain(`SIPLOG event=banned src=${OUTSIDER_IP} reason=flood`);
    // The SourcesBanned metric filter counts that line.
    const banLines = lab
      .kamailioLog()
      .split("\n")
      .filter((l) => SIP_METRIC_FILTERS.SourcesBanned.every((term) => l.includes(term)));
    expect(banLines.length).toBeGreaterThan(0);
    expect(banLines.every((l) => l.includes(`src=${OUTSIDER_IP}`))).toBe(true);
    // Still banned: even a single polite request gets nothing.
    await expect(sipRequest(request("OPTIONS", "after-ban"), lab.proxy, OUTSIDER_IP, 1000)).rejects.toThrow(
      /no SIP reply/,
    );
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
  });

  it("relays all of 100 hang-ups the destination sends at 20 calls/s: in-dialog requests are never flood-banned", async () => {
    // The destination (127.0.0.1) is outside the allowed range, as a Twilio edge other than
    // the caller's may be; its BYEs are in-dialog requests, which pike must never count.
    const uas = await lab.destinationPeer("uas-hangup.xml", { calls: 100, pauseMs: 100, timeoutSeconds: 40 });
    const caller = await lab.call("uac-callee-hangup.xml", { calls: 100, rate: 20, trace: false, timeoutSeconds: 40 });
    const callee = await uas.finish();
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(callee.exitCode).toBe(0);
    // SIPp's scenario screen: all 100 BYEs reached the caller.
    expect(caller.stdout).toMatch(/BYE <-+\s+100\s/);
    expect(lab.kamailioLog()).not.toContain(`event=banned src=127.0.0.1`);
  });

  it("survives 2,400 malformed datagrams and broken TCP streams, and the next call succeeds", async () => {
    const messages = malformedMessages(2400);
    await sendDatagrams(messages.slice(0, 2000), lab.proxy, CALLER_IP);
    // From a second allowed-looking address too (not banned: it is outside but slow).
    await sendDatagrams(messages.slice(2000), lab.proxy, "127.0.0.9");
    const garbage = messages.slice(0, 30);
    for (const [i, chunk] of garbage.entries()) {
      await brokenTcpStream([chunk], lab.proxy, CALLER_IP, i % 2 === 0);
    }
    await brokenTcpStream(
      [Buffer.from("INVITE sip:1000@127.0.0.1 SIP/2.0\r\nContent-Length: 99999999\r\n\r\nxx")],
      lab.proxy,
      CALLER_IP,
    );
    await brokenTcpStream(
      [Buffer.from("INVITE sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2")],
      lab.proxy,
      CALLER_IP,
      true,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(lab.kamailioRunning()).toBe(true);
    const uas = await lab.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-call.xml");
    const callee = await uas.finish();
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    // Mutated INVITEs that were still valid are relayed too (and retransmitted until the
    // destination appears); the new call is the one with the caller's Call-ID.
    const callId = headerValues(caller.messages[0], "Call-ID")[0];
    const ours = callee.messages.filter((m) => m.direction === "received" && headerValues(m, "Call-ID")[0] === callId);
    expect(ours.map(kindOf)).toEqual(["INVITE", "ACK", "BYE"]);
  });
});

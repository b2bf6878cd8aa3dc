// Destination failover with a real Kamailio: two destinations in the lab, the first one
// silent, stuck at 100 Trying, or broken. Each attempt waits sip.transactionTimeoutMs for a
// first reply and sip.progressTimeoutMs after a bare 100 Trying; a 180/183 lets it ring for
// sip.ringTimeoutMs. These are functional timer bounds, not speed measurements.
import { createSocket, type Socket } from "node:dgram";
import { environments } from "../../config/environments";
import { parseEnvironment, worstCaseTimeToFinalMs } from "../../config/schema";
import { SIP_METRIC_FILTERS } from "../../constructs/monitoring";
import { SipLab } from "../../lab/harness";
import type { SippResult } from "../../lab/sipp";
import { cseqMethod, headerValues, kindOf } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

const cfg = parseEnvironment({
  ...environments.find((e) => e.name === "dev")!,
  sip: { transactionTimeoutMs: 1500, progressTimeoutMs: 2500, ringTimeoutMs: 10000 },
});
const perAttempt = cfg.sip.transactionTimeoutMs;
const progress = cfg.sip.progressTimeoutMs;
/** What the lab's two destinations may cost at worst, as the README states it. */
const bound = worstCaseTimeToFinalMs({ ...cfg, destinations: ["first", "second"] });
const failoverLines = (lab: SipLab, callId: string) =>
  lab
    .kamailioLog()
    .split("\n")
    .filter((l) => l.includes(callId) && (l.includes("event=failover") || l.includes("origin=timeout")));

const received = (r: SippResult) => r.messages.filter((m) => m.direction === "received");
/** Time from the caller's INVITE to its first reply with `code`. */
function timeTo(r: SippResult, code: string): number {
  const invite = r.messages.find((m) => m.direction === "sent" && kindOf(m) === "INVITE")!;
  const reply = received(r).find((m) => kindOf(m) === code && cseqMethod(m) === "INVITE")!;
  return reply.time - invite.time;
}

describe("destination failover", () => {
  let lab: SipLab;

  beforeAll(async () => {
    requireKamailioRoot();
    requireTool("sipp");
    lab = await SipLab.start(cfg, { destinationCount: 2 });
  }, 30000);

  afterAll(async () => {
    await lab?.stop();
  });

  it(`completes the call through the second destination when the first does not answer within ${perAttempt} ms`, async () => {
    const silent = await lab.destinationPeer("uas-silent.xml", { index: 0, timeoutSeconds: 20 });
    const second = await lab.destinationPeer("uas-answer.xml", { index: 1 });
    const caller = await lab.call("uac-call.xml");
    const first = await silent.stop();
    const answered = await second.finish();

    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(received(first).map(kindOf)).toContain("INVITE");
    expect(received(answered).map(kindOf)).toEqual(["INVITE", "ACK", "BYE"]);
    const elapsed = timeTo(caller, "200");
    expect(elapsed).toBeGreaterThanOrEqual(perAttempt - 150);
    expect(elapsed).toBeLessThanOrEqual(perAttempt + 1000);
    const callId = headerValues(caller.messages[0], "Call-ID")[0];
    // The DestinationFailovers metric filter sees exactly this failover.
    const failovers = lab
      .kamailioLog()
      .split("\n")
      .filter((l) => l.includes(callId) && SIP_METRIC_FILTERS.DestinationFailovers.every((t) => l.includes(t)));
    expect(failovers).toHaveLength(1);
    expect(lab.kamailioLog()).toMatch(
      new RegExp(
        `SIPLOG event=failover attempt=1 to=127\\.0\\.0\\.1:${lab.destinations[1].port} silent=1 callid=${callId.replace(/[.@]/g, "\\$&")}`,
      ),
    );
  });

  it("fails over at once when the first destination answers 503", async () => {
    const broken = await lab.destinationPeer("uas-reject.xml", {
      index: 0,
      vars: { code: "503", reason: "Service Unavailable" },
    });
    const second = await lab.destinationPeer("uas-answer.xml", { index: 1 });
    const caller = await lab.call("uac-call.xml");
    await broken.finish();
    await second.finish();
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(received(caller).map(kindOf)).not.toContain("503");
    expect(timeTo(caller, "200")).toBeLessThan(1000);
  });

  it("gives the caller a final 408 after one timer per destination when every destination is down", async () => {
    const caller = await lab.call("uac-rejected.xml", {
      vars: { expect: "408", max_forwards: "70" },
      timeoutSeconds: 20,
    });
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    const elapsed = timeTo(caller, "408");
    expect(elapsed).toBeGreaterThanOrEqual(2 * perAttempt - 300);
    expect(elapsed).toBeLessThanOrEqual(2 * perAttempt + 1000);
    expect(elapsed).toBeLessThan(bound);
  });

  it(`fails over a destination that sends only 100 Trying, ${progress} ms after its 100`, async () => {
    const stuck = await lab.destinationPeer("uas-trying.xml", { index: 0, timeoutSeconds: 20 });
    const second = await lab.destinationPeer("uas-answer.xml", { index: 1 });
    const caller = await lab.call("uac-call.xml", { timeoutSeconds: 20 });
    const first = await stuck.finish();
    await second.finish();
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    // The proxy gave up on the first destination and cancelled it.
    expect(received(first).map(kindOf)).toEqual(["INVITE", "CANCEL", "ACK"]);
    const elapsed = timeTo(caller, "200");
    expect(elapsed).toBeGreaterThanOrEqual(progress - 150);
    expect(elapsed).toBeLessThanOrEqual(progress + 1000);
    const callId = headerValues(caller.messages[0], "Call-ID")[0];
    expect(lab.kamailioLog()).toContain(
      `SIPLOG event=failover attempt=1 to=127.0.0.1:${lab.destinations[1].port} silent=1 callid=${callId}`,
    );
  });

  it("answers 408 within the README's bound when every destination stays at 100 Trying", async () => {
    const stuck = await Promise.all(
      [0, 1].map((index) => lab.destinationPeer("uas-trying.xml", { index, timeoutSeconds: 20 })),
    );
    const caller = await lab.call("uac-rejected.xml", {
      vars: { expect: "408", max_forwards: "70" },
      timeoutSeconds: 20,
    });
    await Promise.all(stuck.map((peer) => peer.finish()));
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    const elapsed = timeTo(caller, "408");
    expect(elapsed).toBeGreaterThanOrEqual(2 * progress - 300);
    expect(elapsed).toBeLessThan(bound);
  });

  it(`lets a destination that sent 180 ring for ringTimeoutMs (${cfg.sip.ringTimeoutMs} ms), without failover`, async () => {
    const ringing = await lab.destinationPeer("uas-cancel.xml", { index: 0, timeoutSeconds: 20 });
    const second = await lab.destinationPeer("uas-answer.xml", { index: 1 });
    const caller = await lab.call("uac-rejected.xml", {
      vars: { expect: "408", max_forwards: "70" },
      timeoutSeconds: 20,
    });
    await ringing.finish();
    const untouched = await second.stop();
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    const elapsed = timeTo(caller, "408");
    expect(elapsed).toBeGreaterThanOrEqual(cfg.sip.ringTimeoutMs - 300);
    expect(elapsed).toBeLessThanOrEqual(cfg.sip.ringTimeoutMs + 1500);
    expect(received(untouched)).toEqual([]);
    const callId = headerValues(caller.messages[0], "Call-ID")[0];
    expect(failoverLines(lab, callId).filter((l) => l.includes("event=failover"))).toEqual([]);
  }, 30000);

  it("leaves no failover and no 408 line when a re-INVITE inside a call is answered 500", async () => {
    const callee = await lab.destinationPeer("uas-reinvite.xml", {
      index: 0,
      vars: { reinvite_code: "500", reinvite_reason: "Server Internal Error" },
    });
    const second = await lab.destinationPeer("uas-answer.xml", { index: 1 });
    const caller = await lab.call("uac-reinvite.xml", { vars: { reinvite_code: "500" } });
    const first = await callee.finish();
    const untouched = await second.stop();
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(received(first).map(kindOf)).toEqual(expect.arrayContaining(["INVITE", "ACK", "INVITE", "BYE"]));
    expect(received(untouched)).toEqual([]);
    const callId = headerValues(caller.messages[0], "Call-ID")[0];
    expect(failoverLines(lab, callId)).toEqual([]);
  });

  it("does not fail over a call that rang and was then rejected by the callee", async () => {
    const busy = await lab.destinationPeer("uas-reject.xml", { index: 0, vars: { code: "486", reason: "Busy Here" } });
    const second = await lab.destinationPeer("uas-answer.xml", { index: 1 });
    const caller = await lab.call("uac-rejected.xml", { vars: { expect: "486", max_forwards: "70" } });
    await busy.finish();
    const untouched = await second.stop();
    expect(caller.exitCode).toBe(0);
    expect(received(untouched)).toEqual([]);
  });
});

describe("a destination name with three A records", () => {
  let lab: SipLab;
  const sockets: Socket[] = [];
  const invitesAt = new Map<string, number>();

  beforeAll(async () => {
    requireKamailioRoot();
    requireTool("sipp");
    lab = await SipLab.start(cfg, { destinationCount: 2, destinationNames: { 0: "three.lab.test" } });
    // Three silent addresses behind the name, in Kamailio's DNS cache (no resolver involved).
    for (const address of ["127.0.0.11", "127.0.0.12", "127.0.0.13"]) {
      lab.rpc("dns.add_a", "three.lab.test", "300", address, "0");
      const socket = createSocket("udp4");
      socket.on("message", (data) => {
        if (data.toString().startsWith("INVITE ")) invitesAt.set(address, (invitesAt.get(address) ?? 0) + 1);
      });
      await new Promise<void>((resolve) => socket.bind(lab.destinations[0].port, address, resolve));
      sockets.push(socket);
    }
  }, 30000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await lab?.stop();
  });

  it("tries one of its addresses for one timer, then the next destination: the records do not multiply the wait", async () => {
    const second = await lab.destinationPeer("uas-answer.xml", { index: 1 });
    const caller = await lab.call("uac-call.xml", { timeoutSeconds: 20 });
    await second.finish();
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    const elapsed = timeTo(caller, "200");
    expect(elapsed).toBeGreaterThanOrEqual(perAttempt - 150);
    expect(elapsed).toBeLessThanOrEqual(perAttempt + 1000);
    // Retransmissions of the INVITE went to a single address of the three.
    expect(invitesAt.size).toBe(1);
  });
});

// Destination failover with a real Kamailio: two destinations in the lab, the first one
// silent or broken. The per-attempt timer is the environment's sip.transactionTimeoutMs.
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { SIP_METRIC_FILTERS } from "../../constructs/monitoring";
import { SipLab } from "../../lab/harness";
import type { SippResult } from "../../lab/sipp";
import { cseqMethod, headerValues, kindOf } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

const cfg = parseEnvironment({
  ...environments.find((e) => e.name === "dev")!,
  sip: { transactionTimeoutMs: 1500, ringTimeoutMs: 10000 },
});
const perAttempt = cfg.sip.transactionTimeoutMs;

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

  it("gives the caller a final 408 within the bound when every destination is down", async () => {
    const caller = await lab.call("uac-rejected.xml", {
      vars: { expect: "408", max_forwards: "70" },
      timeoutSeconds: 20,
    });
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    const bound = 2 * perAttempt;
    const elapsed = timeTo(caller, "408");
    expect(elapsed).toBeGreaterThanOrEqual(bound - 300);
    expect(elapsed).toBeLessThanOrEqual(bound + 1000);
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

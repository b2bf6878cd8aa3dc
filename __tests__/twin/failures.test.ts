// The load-balanced twin when an instance dies: the NLB's health checks, its cutting of an
// unhealthy target's flows, and what happens to calls up or ringing on the dead instance; an
// orphan CANCEL. The health check interval is the project's (config/aws-network.ts), and AWS's
// default is shown to lose the BYE.
import { runSipp } from "../../lab/sipp";
import { TWIN_ADDRESSES } from "../../lab/twin/network";
import type { Rig } from "../../lab/twin/rig";
import { outcome, PASSED, received, sleep, useRig } from "./rig-helpers";

jest.setTimeout(60000);

/** Polls `counts` until one entry rises above `before`; returns its index. */
async function whichRose(counts: () => number[], before: number[], timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const index = counts().findIndex((n, i) => n > before[i]);
    if (index >= 0) return index;
    if (Date.now() > deadline) throw new Error(`no proxy logged the request within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * A call is up through one instance; that instance's Kamailio dies 300 ms before the caller
 * hangs up, just after the NLB's last passing health check (the worst case). The caller's BYE
 * keeps going to the dead instance until the NLB finds it unhealthy and cuts its flows.
 */
async function hangUpAfterInstanceDies(rig: Rig) {
  const pauseMs = 2500;
  const acks = rig.requestCounts("ACK");
  const call = await rig.placeCall("uas-answer.xml", "uac-call.xml", { pauseMs });
  const holder = await whichRose(() => rig.requestCounts("ACK"), acks);
  await sleep(pauseMs - 300);
  await rig.proxies.proxies[holder].stop();
  rig.twin.health!.passedJustNow();
  const byes = rig.requestCounts("BYE");
  return { holder, result: await call.result, byes: () => rig.requestCounts("BYE").map((n, i) => n - byes[i]) };
}

describe("the load-balanced twin (staging): an instance dies, an orphan CANCEL", () => {
  const rig = useRig("load-balanced", "staging", "strict");

  it("ends a call whose instance died: the BYE reaches the destination through the other instance", async () => {
    await rig().restartProxies();
    const { holder, result, byes } = await hangUpAfterInstanceDies(rig());
    expect(outcome(result)).toEqual(PASSED);
    expect(received(result.callee)).toContain("BYE");
    expect(byes()[1 - holder]).toBeGreaterThan(0);
  });

  it("loses a call whose instance died while it rang: the caller hears a failure, the next call goes through", async () => {
    await rig().restartProxies();
    const invites = rig().requestCounts("INVITE");
    const call = await rig().placeCall("uas-ring.xml", "uac-rejected.xml", {
      vars: { ring_ms: "800", expect: "408", max_forwards: "70" },
      timeoutSeconds: 6,
    });
    const holder = await whichRose(() => rig().requestCounts("INVITE"), invites);
    await sleep(300);
    await rig().proxies.proxies[holder].stop();
    rig().twin.health!.passedJustNow();
    const lost = await call.result;
    // The destination answered, but its 200 went to the dead instance: no ACK ever came.
    expect(received(lost.callee)).toEqual(["INVITE"]);
    // The caller's own edge gave up on the ring timeout (Twilio's reply here is not documented).
    expect({ exitCode: lost.caller.exitCode, errors: lost.caller.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(outcome(await rig().call("uas-answer.xml", "uac-call.xml"))).toEqual(PASSED);
  });

  it("answers an orphan CANCEL (its INVITE went through another instance) with 481; without the fix, nothing", async () => {
    const orphanCancel = () =>
      runSipp({
        scenario: "uac-orphan-cancel.xml",
        local: { host: TWIN_ADDRESSES.sourceEdge, port: 5090 },
        target: { host: rig().twin.ingress, port: 5060 },
        netns: rig().twin.twilio,
        timeoutSeconds: 4,
      });
    await rig().restartProxies();
    const answered = await orphanCancel();
    expect({ exitCode: answered.exitCode, errors: answered.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(received(answered)).toEqual(["481"]);
    await rig().restartProxies(["orphan-cancel"]);
    const unanswered = await orphanCancel();
    expect(unanswered.exitCode).not.toBe(0);
    expect(received(unanswered)).toEqual([]);
  });
});

describe("the load-balanced twin with AWS's default health check interval (30 s) instead of 10 s", () => {
  const rig = useRig("load-balanced", "staging", "strict", { targetHealth: { intervalSeconds: 30 } });

  it("loses the BYE of a call whose instance died: the destination never hears the hang-up", async () => {
    await rig().restartProxies();
    const { result } = await hangUpAfterInstanceDies(rig());
    expect(received(result.callee)).not.toContain("BYE");
    expect(result.caller.exitCode).not.toBe(0);
  });
});

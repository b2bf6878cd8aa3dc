// SIP calls through the network twin: Twilio's edges as Kamailio stand-ins on their published
// addresses (lab/twin/edge.ts: signalling from port 5060, the destination domain's IP ACL,
// replies by RFC 3261/3581) with SIPp callers and callees behind them, the environment's
// Kamailio on each instance with timers scaled like AWS's idle timeouts, and AWS's packet path
// between them (Elastic IP for dev; NLB in and NAT gateway out for staging).
import { TWIN_ADDRESSES } from "../../lab/twin/network";
import { CASES, outcome, PASSED, received, useRig } from "./rig-helpers";

jest.setTimeout(60000);

const { destinationEdge } = TWIN_ADDRESSES;

describe.each(CASES)("calls through the %s twin (%s's config), RFC-strict Twilio edges", (architecture, env) => {
  const rig = useRig(architecture, env, "strict");

  it("connects a call the caller hangs up; the destination's ACL admits every request", async () => {
    const result = await rig().call("uas-answer.xml", "uac-call.xml");
    expect(outcome(result)).toEqual(PASSED);
    expect(received(result.callee)).toEqual(["INVITE", "ACK", "BYE"]);
    const egress = rig()
      .twin.egress.map((e) => e.replace(/\./g, "\\."))
      .join("|");
    expect(rig().destination.admitted()).toContainEqual(
      expect.stringMatching(new RegExp(`^INVITE from (${egress}):\\d+$`)),
    );
  });

  it("connects a call the destination hangs up: its BYE reaches the caller", async () => {
    const result = await rig().call("uas-hangup.xml", "uac-callee-hangup.xml");
    expect(outcome(result)).toEqual(PASSED);
    expect(received(result.caller)).toContain("BYE");
  });

  it("carries a re-INVITE from the caller", async () => {
    const result = await rig().call("uas-reinvite.xml", "uac-reinvite.xml", {
      vars: { reinvite_code: "200", reinvite_reason: "OK" },
    });
    expect(outcome(result)).toEqual(PASSED);
    expect(received(result.callee).filter((k) => k === "INVITE")).toHaveLength(2);
  });

  it("carries a re-INVITE from the destination back to the caller, and its 200 and ACK", async () => {
    const result = await rig().call("uas-sends-reinvite.xml", "uac-answers-reinvite.xml");
    expect(outcome(result)).toEqual(PASSED);
    expect(received(result.caller)).toEqual(expect.arrayContaining(["INVITE", "ACK"]));
    expect(received(result.callee)).toEqual(expect.arrayContaining(["200", "BYE"]));
  });

  it("connects calls whose caller and destination are on the same Twilio edge address, each side hanging up", async () => {
    // The caller's BYE must leave from the egress port too (Record-Route ftag): from 5060 it
    // would reverse the edge's live NLB flow and reach the destination's ACL as the NLB.
    for (const [uas, uac] of [
      ["uas-answer.xml", "uac-call.xml"],
      ["uas-hangup.xml", "uac-callee-hangup.xml"],
    ]) {
      expect(outcome(await rig().call(uas, uac, { from: destinationEdge }))).toEqual(PASSED);
    }
  });
});

describe("calls through the load-balanced twin with a symmetric destination edge", () => {
  const rig = useRig("load-balanced", "staging", "symmetric");

  it("connects calls each side hangs up", async () => {
    expect(outcome(await rig().call("uas-answer.xml", "uac-call.xml"))).toEqual(PASSED);
    expect(outcome(await rig().call("uas-hangup.xml", "uac-callee-hangup.xml"))).toEqual(PASSED);
  });
});

// Long calls matter only behind the NLB (an Elastic IP is a one-to-one NAT with no idle
// timeout); then each fix is undone in turn, and its scenario must fail.
describe("the load-balanced twin (staging, strict edges): long calls, and each fix undone", () => {
  const rig = useRig("load-balanced", "staging", "strict");

  it("ends a call longer than the NLB's scaled UDP idle timeout with the caller's BYE", async () => {
    const pauseMs = (rig().twin.idleSeconds.nlbUdp + 2) * 1000;
    expect(outcome(await rig().call("uas-answer.xml", "uac-call.xml", { pauseMs }))).toEqual(PASSED);
  });

  it("ends a call longer than the NLB's scaled UDP idle timeout with the destination's BYE", async () => {
    const pauseMs = (rig().twin.idleSeconds.nlbUdp + 2) * 1000;
    expect(outcome(await rig().call("uas-hangup.xml", "uac-callee-hangup.xml", { pauseMs }))).toEqual(PASSED);
  });

  it("without the egress port, a call from the destination's own edge leaves with the NLB address and is refused", async () => {
    await rig().restartProxies(["egress-port"]);
    const result = await rig().call("uas-answer.xml", "uac-call.xml", { from: destinationEdge });
    expect(result.refused).toContainEqual(
      expect.stringMatching(new RegExp(`^INVITE from ${TWIN_ADDRESSES.nlb}:5060$`)),
    );
    expect(result.caller.exitCode).not.toBe(0);
  });

  it("without rport, a strict destination answers a port the NAT gateway never mapped: the call fails", async () => {
    await rig().restartProxies(["rport"]);
    const result = await rig().call("uas-answer.xml", "uac-call.xml");
    expect(result.caller.exitCode).not.toBe(0);
    expect(received(result.caller)).not.toContain("200");
  });
});

// SIP calls through the network twin: Twilio's edges as Kamailio stand-ins on their published
// addresses (lab/twin/edge.ts: signalling from port 5060, the destination domain's IP ACL,
// replies by RFC 3261/3581) with SIPp callers and callees behind them, the environment's
// Kamailio on each instance with timers scaled like AWS's idle timeouts, and AWS's packet path
// between them (Elastic IP for dev; NLB in and NAT gateway out for staging).
import { runSipp, type SippResult } from "../../lab/sipp";
import type { ReplyPolicy } from "../../lab/twin/edge";
import { TWIN_ADDRESSES, type TwinArchitecture, type TwinOptions } from "../../lab/twin/network";
import { Rig } from "../../lab/twin/rig";
import { kindOf } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(60000);

const { destinationEdge } = TWIN_ADDRESSES;

/** Starts a rig before the describe's tests and stops it after them, also when they fail. */
function useRig(architecture: TwinArchitecture, env: string, replies: ReplyPolicy, twin: TwinOptions = {}): () => Rig {
  let rig: Rig | undefined;
  beforeAll(async () => {
    requireKamailioRoot();
    for (const tool of ["sipp", "ip", "nft", "conntrack"]) requireTool(tool);
    rig = await Rig.start(architecture, env, replies, twin);
  }, 30000);
  afterAll(async () => rig?.stop());
  return () => rig!;
}

const received = (r: SippResult) => r.messages.filter((m) => m.direction === "received").map(kindOf);
/** What a test compares: both ends passed, the destination's ACL refused nothing. */
const outcome = (r: { caller: SippResult; callee: SippResult; refused: string[] }) => ({
  caller: { exitCode: r.caller.exitCode, errors: r.caller.errors },
  callee: r.callee.exitCode,
  refusedByDestination: r.refused,
});
const PASSED = { caller: { exitCode: 0, errors: "" }, callee: 0, refusedByDestination: [] };

const CASES: [TwinArchitecture, string][] = [
  ["single", "dev"],
  ["load-balanced", "staging"],
];

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

/** A call whose INVITE is about 1,800 bytes, as in INC-979. */
async function bigCall(rig: Rig, timeoutSeconds?: number) {
  const vars = { padding: "x".repeat(560) };
  const result = await rig.call("uas-answer.xml", "uac-big-invite.xml", { vars, timeoutSeconds });
  const size = Buffer.byteLength(result.caller.messages.find((m) => m.direction === "sent")?.text ?? "");
  return { result, size };
}

describe.each(CASES)(
  "a 1,800-byte INVITE through the %s twin (%s's config) and the fragment-dropping hop",
  (architecture, env) => {
    const rig = useRig(architecture, env, "strict");

    it("reaches the destination: the proxy sends it over TCP, not as UDP fragments", async () => {
      const { result, size } = await bigCall(rig());
      expect(size).toBeGreaterThanOrEqual(1800);
      expect(outcome(result)).toEqual(PASSED);
      expect(rig().destination.admitted()).toContainEqual(expect.stringMatching(/^INVITE from \S+ over tcp$/));
    });

    it("without the UDP MTU rule, it is lost as fragments and the caller gets 408 (INC-979)", async () => {
      await rig().restartProxies(["udp-mtu"]);
      const { result } = await bigCall(rig());
      expect(received(result.caller)).toContain("408");
      expect(received(result.callee)).toEqual([]);
      await rig().restartProxies();
    });
  },
);

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

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

/** Restarts the proxies (as shipped) and waits until the NLB has every target in service. */
async function freshProxies(rig: Rig): Promise<void> {
  const since = Date.now();
  await rig.restartProxies();
  const health = rig.twin.health!;
  for (const { privateIp } of rig.twin.instances) {
    await health.waitFor((e) => e.event === "check" && e.target === privateIp && e.ok === true, 10000, since);
  }
  const deadline = Date.now() + 10000;
  while (health.inService().length < rig.twin.instances.length) {
    if (Date.now() > deadline) throw new Error(`targets still out of service: ${JSON.stringify(health.inService())}`);
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
    await freshProxies(rig());
    const { holder, result, byes } = await hangUpAfterInstanceDies(rig());
    expect(outcome(result)).toEqual(PASSED);
    expect(received(result.callee)).toContain("BYE");
    expect(byes()[1 - holder]).toBeGreaterThan(0);
  });

  it("loses a call whose instance died while it rang: the caller hears a failure, the next call goes through", async () => {
    await freshProxies(rig());
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
    await freshProxies(rig());
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
    await freshProxies(rig());
    const { result } = await hangUpAfterInstanceDies(rig());
    expect(received(result.callee)).not.toContain("BYE");
    expect(result.caller.exitCode).not.toBe(0);
  });
});

// TCP to the destination (here: the 1,800-byte INVITEs, which go over TCP) through the NAT
// gateway, which forgets a connection idle for 350 s and resets it afterwards. Twice as fast
// as the other rigs (1/30): the wait is the NAT idle timeout itself.
describe("the load-balanced twin: the first TCP call after the NAT gateway's idle timeout", () => {
  const kept = useRig("load-balanced", "staging", "strict", { timeScale: 1 / 30 });
  const unkept = useRig("load-balanced", "staging", "strict", { timeScale: 1 / 30 });

  it("goes through with TCP keepalive; without it the connection is reset and the call fails", async () => {
    await unkept().restartProxies(["tcp-keepalive"]);
    const idleMs = (kept().twin.idleSeconds.natGateway + 3) * 1000;
    const quietSpell = async (rig: Rig) => {
      const first = await bigCall(rig);
      await sleep(idleMs);
      return { first: outcome(first.result), second: await bigCall(rig, 5) };
    };
    const [withKeepalive, without] = await Promise.all([quietSpell(kept()), quietSpell(unkept())]);
    expect(withKeepalive.first).toEqual(PASSED);
    expect(outcome(withKeepalive.second.result)).toEqual(PASSED);
    expect(without.first).toEqual(PASSED);
    expect(outcome(without.second.result)).not.toEqual(PASSED);
    // The INVITE went down the dead connection, was reset, and the proxy's timer answered.
    expect(received(without.second.result.callee)).toEqual([]);
    expect(received(without.second.result.caller)).toContain("408");
  });
});

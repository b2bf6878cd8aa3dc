// Scale-in and instance refresh on the load-balanced twin under a steady call rate: Auto
// Scaling's part played by the test (deregister the target, set the instance's lifecycle
// state, terminate when the hook is completed), the instance's part by the real drain service
// (templates/drain.sh, lab/twin/drain.ts). Each scenario reports calls attempted, completed
// and lost; "lost" is any call that did not complete (README "Scale-in, refresh and deploys").
import { drainSettingsFor } from "../../config/drain";
import { finalStats, SIPP_STATS_ARGS, startSipp } from "../../lab/sipp";
import { startTwinDrain, type TwinDrain } from "../../lab/twin/drain";
import { TWIN_ADDRESSES } from "../../lab/twin/network";
import { waitUntilInService, type Rig } from "../../lab/twin/rig";
import { sleep, useRig } from "./rig-helpers";

jest.setTimeout(90000);

const { sourceEdge, destinationEdge } = TWIN_ADDRESSES;

/** Calls that ring a while (scaled: 1 s stands for 20 s) and last a moment, at a steady rate. */
const LOAD = { calls: 30, ratePerSecond: 5, ringMs: 1000, talkMs: 500 };

interface Counts {
  attempted: number;
  completed: number;
  lost: number;
}

/**
 * Runs LOAD from the source edge through the NLB; `during` runs once the first calls are up
 * and may take instances away. Returns the caller's counts.
 */
async function underLoad(rig: Rig, during: () => Promise<void>): Promise<Counts> {
  const callee = await startSipp({
    scenario: "uas-ring.xml",
    local: { host: destinationEdge, port: rig.destination.calleePort },
    netns: rig.twin.twilio,
    vars: { ring_ms: String(LOAD.ringMs) },
    calls: LOAD.calls,
    timeoutSeconds: 40,
    trace: false,
  });
  const caller = await startSipp({
    scenario: "uac-call.xml",
    local: { host: sourceEdge, port: 5091 },
    target: { host: rig.twin.ingress, port: 5060 },
    extraArgs: ["-rsa", `${sourceEdge}:5060`, ...SIPP_STATS_ARGS],
    keys: { account_sid: (rig.cfg.sourceAccountSids as readonly string[])[0] },
    netns: rig.twin.twilio,
    calls: LOAD.calls,
    rate: LOAD.ratePerSecond,
    pauseMs: LOAD.talkMs,
    timeoutSeconds: 40,
    trace: false,
  });
  await sleep(1500);
  await during();
  const result = await caller.finish(45000);
  await callee.stop();
  const stats = finalStats(result);
  const attempted = Number(stats["OutgoingCall(C)"] ?? 0);
  const completed = Number(stats["SuccessfulCall(C)"] ?? 0);
  return { attempted, completed, lost: attempted - completed };
}

/** The instance the source edge's flow is pinned to (source_ip stickiness). */
async function holderOfSourceEdge(rig: Rig): Promise<number> {
  const before = rig.requestCounts("INVITE");
  await rig.call("uas-answer.xml", "uac-call.xml");
  const index = rig.requestCounts("INVITE").findIndex((n, i) => n > before[i]);
  if (index < 0) throw new Error("no instance took the probe call");
  return index;
}

/** Scale-in of instance `index` as Auto Scaling does it: deregistration, then the hook. */
async function scaleIn(rig: Rig, index: number, drain: TwinDrain | undefined): Promise<void> {
  const { privateIp } = rig.twin.instances[index];
  const health = rig.twin.health!;
  const since = Date.now();
  health.deregister(privateIp);
  drain?.terminate();
  // Without a hook, termination follows the deregistration delay (then the flows are cut).
  await health.waitFor((e) => e.event === "deregistered" && e.target === privateIp, 10000, since);
  if (drain) await drain.completed(30000);
  await rig.proxies.proxies[index].stop();
}

describe("scale-in on the load-balanced twin (staging) under a steady call rate", () => {
  const rig = useRig("load-balanced", "staging", "strict");
  const report: Record<string, Counts> = {};
  afterAll(() => console.log(`scale-in, calls attempted/completed/lost: ${JSON.stringify(report)}`));

  it("loses no call when the instance taking the source edge's calls drains before it goes", async () => {
    const index = await holderOfSourceEdge(rig());
    const instance = rig().twin.instances[index];
    const drain = await startTwinDrain(instance.ns, rig().proxies.proxies[index], drainSettingsFor(rig().cfg), {
      instanceId: `i-twin${index}`,
      timeScale: rig().twin.timeScale,
    });
    try {
      report.withDrain = await underLoad(rig(), () => scaleIn(rig(), index, drain));
      expect(drain.lines()).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^SIPLOG event=drain state=started /),
          expect.stringMatching(/^SIPLOG event=drain state=completed /),
        ]),
      );
    } finally {
      drain.stop();
    }
    expect(report.withDrain).toEqual({ attempted: LOAD.calls, completed: LOAD.calls, lost: 0 });
  });

  it("loses the calls ringing on it when it goes right after the deregistration delay (no drain)", async () => {
    // The instance the test above scaled in comes back, as a replacement would.
    const health = rig().twin.health!;
    for (const { privateIp } of rig().twin.instances) {
      if (!health.registered().includes(privateIp)) health.register(privateIp);
    }
    await rig().restartProxies();
    const index = await holderOfSourceEdge(rig());
    report.withoutDrain = await underLoad(rig(), () => scaleIn(rig(), index, undefined));
    expect(report.withoutDrain.attempted).toBe(LOAD.calls);
    expect(report.withoutDrain.lost).toBeGreaterThan(0);
  });
});

// An instance refresh of a two-instance group: two new instances (2, 3) replace the old (0, 1).
describe("an instance refresh on the load-balanced twin (staging) under a steady call rate", () => {
  const rig = useRig("load-balanced", "staging", "strict", { instances: 4, registered: 2 });
  const report: Record<string, Counts> = {};
  afterAll(() => console.log(`instance refresh, calls attempted/completed/lost: ${JSON.stringify(report)}`));

  it("loses no call: new instances in service first (max healthy 200 %), then the old ones drain and go", async () => {
    const [old0, old1, new2, new3] = rig().twin.instances;
    const drains = await Promise.all(
      [old0, old1].map((instance, index) =>
        startTwinDrain(instance.ns, rig().proxies.proxies[index], drainSettingsFor(rig().cfg), {
          instanceId: `i-twin${index}`,
          timeScale: rig().twin.timeScale,
        }),
      ),
    );
    try {
      report.launchBeforeTerminate = await underLoad(rig(), async () => {
        for (const { privateIp } of [new2, new3]) rig().twin.health!.register(privateIp);
        await waitUntilInService(rig().twin, [new2.privateIp, new3.privateIp]);
        await Promise.all([0, 1].map((index) => scaleIn(rig(), index, drains[index])));
      });
    } finally {
      for (const drain of drains) drain.stop();
    }
    expect(report.launchBeforeTerminate).toEqual({ attempted: LOAD.calls, completed: LOAD.calls, lost: 0 });
  });
});

describe("the same refresh as configured before: min healthy 50 %, terminate before launch, no drain", () => {
  const rig = useRig("load-balanced", "staging", "strict", { instances: 4, registered: 2 });
  const report: Record<string, Counts> = {};
  afterAll(() => console.log(`instance refresh (before), calls attempted/completed/lost: ${JSON.stringify(report)}`));

  it("loses calls: each old instance goes after the deregistration delay with calls still ringing on it", async () => {
    const [, , new2, new3] = rig().twin.instances;
    report.terminateBeforeLaunch = await underLoad(rig(), async () => {
      for (const [index, replacement] of [
        [0, new2],
        [1, new3],
      ] as const) {
        await scaleIn(rig(), index, undefined);
        rig().twin.health!.register(replacement.privateIp);
        await waitUntilInService(rig().twin, [replacement.privateIp]);
      }
    });
    expect(report.terminateBeforeLaunch.attempted).toBe(LOAD.calls);
    expect(report.terminateBeforeLaunch.lost).toBeGreaterThan(0);
  });
});

// Transport through the twin: a 1,800-byte INVITE past the hop that drops IP fragments on
// the way into Twilio (INC-979), and TCP to the destination after the NAT gateway's idle
// timeout.
import { Rig } from "../../lab/twin/rig";
import { bigCall, CASES, outcome, PASSED, received, sleep, useRig } from "./rig-helpers";

jest.setTimeout(60000);

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

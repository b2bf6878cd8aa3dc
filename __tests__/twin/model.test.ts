// The network twin's model of AWS's packet path, tested on its own with plain UDP probes
// before any SIP runs through it (lab/twin/MODEL.md says which AWS sentence each follows).
import { NetworkTwin, TWIN_ADDRESSES } from "../../lab/twin/network";
import { sendProbe, startProbe, type ProbeEvent } from "../../lab/twin/probe";
import { requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

const { nlb, nat, elasticIp, sourceEdge, destinationEdge } = TWIN_ADDRESSES;
const received = (events: ProbeEvent[]) => events.filter((e) => e.event === "received");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the twin's load-balanced packet path (NLB in, NAT gateway out)", () => {
  let twin: NetworkTwin;

  beforeAll(() => {
    for (const tool of ["ip", "nft"]) requireTool(tool);
    twin = NetworkTwin.build("load-balanced", { instances: 2 });
  });

  afterAll(() => twin?.destroy());

  /** Echo listeners on every instance's private address, port 5060. */
  async function listeners() {
    return Promise.all(twin.instances.map((i) => startProbe(i.ns, ["listen", i.privateIp, "5060", "echo"])));
  }

  it("delivers a datagram to the NLB address to a target with the client's address and port kept, and answers from the NLB address", async () => {
    const targets = await listeners();
    const reply = sendProbe(twin.twilio, sourceEdge, 5060, nlb, 5060, "hello");
    const seen = (await Promise.all(targets.map((t) => t.stop()))).flatMap(received);
    expect(seen).toEqual([{ event: "received", from: sourceEdge, port: 5060, text: "hello" }]);
    expect(reply).toEqual({ event: "reply", from: nlb, port: 5060, text: "echo:hello" });
  });

  it("spreads flows from different source ports over the targets", async () => {
    const targets = await listeners();
    for (let port = 20000; port < 20024; port++) sendProbe(twin.twilio, sourceEdge, port, nlb, 5060, `p${port}`, 300);
    const perTarget = (await Promise.all(targets.map((t) => t.stop()))).map((events) => received(events).length);
    expect(perTarget.reduce((a, b) => a + b, 0)).toBe(24);
    expect(Math.min(...perTarget)).toBeGreaterThan(0);
  });

  it("sends a new flow from an instance out through the NAT gateway, with the NAT address and a rewritten port", async () => {
    const destination = await startProbe(twin.twilio, ["listen", destinationEdge, "5070"]);
    const instance = twin.instances[0];
    sendProbe(instance.ns, instance.privateIp, 5062, destinationEdge, 5070, "invite", 200);
    const [seen] = received(await destination.stop());
    expect(seen.from).toBe(nat);
    // `snat ... random` picks the port: equal to the original only by a 1-in-64,000 chance.
    expect(seen.port).not.toBe(5062);
  });

  it("sends a packet that reverses a live NLB flow back out with the NLB address, not through NAT", async () => {
    // The destination edge sends to the NLB from 5060 (a BYE, say); then every instance sends
    // from its 5060 to the destination's 5060 (a new INVITE): the instance that holds the
    // destination's flow is answered through the NLB, the others leave through NAT.
    const instances = await Promise.all(
      twin.instances.map((i, n) =>
        startProbe(i.ns, ["converse", i.privateIp, "5060", destinationEdge, "5060", `invite-${n}`, "400", "1200"]),
      ),
    );
    const destination = await startProbe(twin.twilio, [
      "converse",
      destinationEdge,
      "5060",
      nlb,
      "5060",
      "bye",
      "0",
      "1500",
    ]);
    const atInstances = await Promise.all(instances.map((p) => p.finished()));
    const atDestination = received(await destination.finished());
    const holder = atInstances.findIndex((events) => received(events).some((e) => e.text === "bye"));
    expect(holder).toBeGreaterThanOrEqual(0);
    expect(atDestination).toContainEqual({ event: "received", from: nlb, port: 5060, text: `invite-${holder}` });
    const others = atDestination.filter((e) => e.text !== `invite-${holder}`);
    expect(others.map((e) => e.from)).toEqual(twin.instances.slice(1).map(() => nat));
  });

  it("sends a packet that reverses a live NLB flow out through the NLB even while NAT maps the same tuple", async () => {
    // (Port 5066 at the destination: the test above left a live flow from its 5060.)
    // Each instance sends from 5060 to the destination's port (a request: NAT maps it), the
    // destination then sends from 5060 to the NLB (a BYE), and each instance sends the same
    // tuple again (the next INVITE). AWS's NLB takes the packets that reverse its flow, so the
    // holder's second datagram leaves with the NLB address; the others' still through NAT.
    const destination = await startProbe(twin.twilio, [
      "converse",
      destinationEdge,
      "5066",
      nlb,
      "5060",
      "bye",
      "600",
      "2000",
    ]);
    const instances = await Promise.all(
      twin.instances.map((i, n) =>
        startProbe(i.ns, [
          "sequence",
          i.privateIp,
          "5060",
          destinationEdge,
          "5066",
          "1800",
          `first-${n}@100`,
          `again-${n}@1100`,
        ]),
      ),
    );
    const atInstances = await Promise.all(instances.map((p) => p.finished()));
    const atDestination = received(await destination.finished());
    const holder = atInstances.findIndex((events) => received(events).some((e) => e.text === "bye"));
    expect(holder).toBeGreaterThanOrEqual(0);
    const from = (text: string) => atDestination.filter((e) => e.text === text).map((e) => e.from);
    for (const n of twin.instances.keys()) {
      expect({ n, first: from(`first-${n}`), again: from(`again-${n}`) }).toEqual({
        n,
        first: [nat],
        again: [n === holder ? nlb : nat],
      });
    }
  });

  it("forgets an idle NLB flow after the scaled UDP idle timeout: the same packet then leaves through NAT", async () => {
    const instance = await startProbe(twin.instances[0].ns, ["listen", twin.instances[0].privateIp, "5060"]);
    // Find a source port whose flow hashes to instance 0.
    let port = 30000;
    for (; port < 30100; port++) {
      sendProbe(twin.twilio, destinationEdge, port, nlb, 5060, `probe-${port}`, 100);
      await sleep(50); // sendProbe blocks; let the listener's output in
      if (received(instance.events()).some((e) => e.text === `probe-${port}`)) break;
    }
    await instance.stop();
    const destination = await startProbe(twin.twilio, ["listen", destinationEdge, String(port)]);
    await sleep((twin.idleSeconds.nlbUdp + 2) * 1000);
    sendProbe(twin.instances[0].ns, twin.instances[0].privateIp, 5060, destinationEdge, port, "late", 200);
    const [seen] = received(await destination.stop());
    expect(port).toBeLessThan(30100);
    expect(seen.from).toBe(nat);
  });
});

describe("the twin's single-instance packet path (Elastic IP)", () => {
  let twin: NetworkTwin;

  beforeAll(() => {
    for (const tool of ["ip", "nft"]) requireTool(tool);
    twin = NetworkTwin.build("single");
  });

  afterAll(() => twin?.destroy());

  it("delivers a datagram to the Elastic IP with the client's address kept, and answers from the Elastic IP", async () => {
    const [instance] = twin.instances;
    const listener = await startProbe(instance.ns, ["listen", instance.privateIp, "5060", "echo"]);
    const reply = sendProbe(twin.twilio, sourceEdge, 5060, elasticIp, 5060, "hello");
    expect(received(await listener.stop())).toEqual([
      { event: "received", from: sourceEdge, port: 5060, text: "hello" },
    ]);
    expect(reply).toEqual({ event: "reply", from: elasticIp, port: 5060, text: "echo:hello" });
  });

  it("sends a new flow from the instance out with the Elastic IP and the instance's own port", async () => {
    const [instance] = twin.instances;
    const destination = await startProbe(twin.twilio, ["listen", destinationEdge, "5070"]);
    sendProbe(instance.ns, instance.privateIp, 5062, destinationEdge, 5070, "invite", 200);
    expect(received(await destination.stop())).toEqual([
      { event: "received", from: elasticIp, port: 5062, text: "invite" },
    ]);
  });
});

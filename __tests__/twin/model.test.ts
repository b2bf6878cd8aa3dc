// The network twin's model of AWS's packet path, tested on its own with plain UDP probes
// before any SIP runs through it (lab/twin/MODEL.md says which AWS sentence each follows).
import { NetworkTwin, TWIN_ADDRESSES } from "../../lab/twin/network";
import { sendProbe, startProbe, type ProbeEvent } from "../../lab/twin/probe";
import { TWILIO_SIGNALING_CIDRS } from "../../config/twilio";
import { requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

const { nlb, nat, elasticIp, sourceEdge, destinationEdge } = TWIN_ADDRESSES;
const received = (events: ProbeEvent[]) => events.filter((e) => e.event === "received");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the twin's load-balanced packet path (NLB in, NAT gateway out)", () => {
  let twin: NetworkTwin;

  beforeAll(() => {
    for (const tool of ["ip", "nft", "conntrack"]) requireTool(tool);
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

  it("spreads clients over the targets by their address, each client's flows on one target (source_ip stickiness)", async () => {
    // The second address of each Twilio edge's /30 (the first ones are the twin's edges).
    const clients = TWILIO_SIGNALING_CIDRS.map((cidr) => cidr.replace(/\.(\d+)\/30$/, (_, n) => `.${Number(n) + 2}`));
    twin.twilio.addAddresses(...clients);
    const targets = await listeners();
    for (const client of clients) {
      for (const port of [5060, 20000, 20001])
        sendProbe(twin.twilio, client, port, nlb, 5060, `${client}:${port}`, 300);
    }
    const perTarget = (await Promise.all(targets.map((t) => t.stop()))).map((events) =>
      received(events).map((e) => `${e.from}:${e.port}`),
    );
    expect(perTarget.flat().sort()).toEqual(
      clients.flatMap((c) => [5060, 20000, 20001].map((p) => `${c}:${p}`)).sort(),
    );
    expect(Math.min(...perTarget.map((seen) => seen.length))).toBeGreaterThan(0);
    for (const client of clients) {
      const holders = perTarget.filter((seen) => seen.some((s) => s.startsWith(`${client}:`)));
      expect({ client, holders: holders.map((seen) => seen.filter((s) => s.startsWith(`${client}:`)).length) }).toEqual(
        {
          client,
          holders: [3],
        },
      );
    }
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
    const targets = await listeners();
    sendProbe(twin.twilio, destinationEdge, 30000, nlb, 5060, "probe", 100);
    await sleep(50); // sendProbe blocks; let the listeners' output in
    const holder = targets.findIndex((t) => received(t.events()).some((e) => e.text === "probe"));
    await Promise.all(targets.map((t) => t.stop()));
    expect(holder).toBeGreaterThanOrEqual(0);
    const destination = await startProbe(twin.twilio, ["listen", destinationEdge, "30000"]);
    await sleep((twin.idleSeconds.nlbUdp + 2) * 1000);
    const instance = twin.instances[holder];
    sendProbe(instance.ns, instance.privateIp, 5060, destinationEdge, 30000, "late", 200);
    const [seen] = received(await destination.stop());
    expect(seen.from).toBe(nat);
  });

  it("takes a target that fails its health checks out: its live flow and new clients go to a healthy target", async () => {
    const health = twin.health!;
    const checks = await Promise.all(twin.instances.map((i) => startProbe(i.ns, ["tcp-listen", i.privateIp, "5060"])));
    try {
      for (const { privateIp } of twin.instances) {
        await health.waitFor((e) => e.event === "health" && e.target === privateIp && e.status === "healthy", 5000, 0);
      }
      const targets = await listeners();
      sendProbe(twin.twilio, sourceEdge, 5060, nlb, 5060, "before", 100);
      await sleep(50);
      const holder = targets.findIndex((t) => received(t.events()).some((e) => e.text === "before"));
      expect(holder).toBeGreaterThanOrEqual(0);
      const since = Date.now();
      await checks[holder].stop();
      await health.waitFor((e) => e.event === "cut" && e.target === twin.instances[holder].privateIp, 5000, since);
      sendProbe(twin.twilio, sourceEdge, 5060, nlb, 5060, "after", 100);
      sendProbe(twin.twilio, destinationEdge, 5060, nlb, 5060, "new client", 100);
      await sleep(50);
      const seen = (await Promise.all(targets.map((t) => t.stop()))).map((events) =>
        received(events).map((e) => e.text),
      );
      expect(seen[holder]).toEqual(["before"]);
      expect(seen[1 - holder]).toEqual(["after", "new client"]);
    } finally {
      await Promise.all(checks.map((c) => c.stop()));
    }
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

import { createSocket, type Socket } from "node:dgram";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { deployedUserData, embeddedKamailioConfig, synthesizeToMemory } from "../../scripts/lib/stack-json";
import { checkConfig, freeUdpPort, sipRequest, startKamailio, type RunningKamailio } from "../../scripts/lib/kamailio";
import { renderTemplate } from "../../templates/render";
import { contrastingInput } from "../fixtures/environments";
import { requireTool } from "./require-tool";

/** Stands in for values Terraform fills in at deploy time (e.g. the Elastic IP). */
const withSampleAddresses = (cfg: string) => cfg.replace(/\$\{[^}]+\}/g, "203.0.113.10");

describe("rendered kamailio.cfg", () => {
  beforeAll(() => requireTool("kamailio"));

  const stacks = synthesizeToMemory([...environments, contrastingInput]);

  it.each([...stacks.keys()])("passes kamailio -c as deployed for %s", (name) => {
    const cfg = withSampleAddresses(embeddedKamailioConfig(deployedUserData(stacks.get(name)!)));
    const result = checkConfig(cfg);
    expect({ ok: result.ok, output: result.ok ? "" : result.output }).toEqual({ ok: true, output: "" });
  });

  it("is rejected by kamailio -c when broken (the check is live)", () => {
    const cfg = withSampleAddresses(embeddedKamailioConfig(deployedUserData(stacks.get("dev")!)));
    expect(checkConfig(cfg.replace("route(RELAY);", "no_such_function();")).ok).toBe(false);
  });
});

describe("Kamailio running the SIP core", () => {
  let kamailio: RunningKamailio | undefined;
  let port = 0;
  let destination: Socket | undefined;
  let destinationPort = 0;
  const received: string[] = [];

  beforeAll(async () => {
    requireTool("kamailio");
    port = await freeUdpPort();
    // A bare UDP socket stands in for the destination's SIP domain and records what arrives.
    destination = createSocket("udp4");
    destination.on("message", (data) => received.push(data.toString()));
    await new Promise<void>((resolve) => destination!.bind(0, "127.0.0.1", resolve));
    destinationPort = destination.address().port;
    const cfg = parseEnvironment(environments[0]);
    const config = renderTemplate("kamailio", {
      environment: cfg.name,
      advertisedAddress: "127.0.0.1",
      sipPort: port,
      destinationDomain: `127.0.0.1:${destinationPort}`,
      allowedSourceCidrs: ["127.0.0.2/32"],
      logLevel: "notice",
      children: 2,
      transactionTimeoutMs: cfg.sip.transactionTimeoutMs,
      ringTimeoutMs: cfg.sip.ringTimeoutMs,
    });
    kamailio = await startKamailio(config, { host: "127.0.0.1", port });
  }, 20000);

  afterAll(async () => {
    await kamailio?.stop();
    destination?.close();
  });

  const invite = (callId: string) =>
    [
      "INVITE sip:1000@127.0.0.1 SIP/2.0",
      `Via: SIP/2.0/UDP LOCAL_ADDRESS:LOCAL_PORT;branch=z9hG4bK-${callId}`,
      "Max-Forwards: 70",
      "From: <sip:caller@LOCAL_ADDRESS>;tag=1",
      "To: <sip:1000@127.0.0.1>",
      `Call-ID: ${callId}`,
      "CSeq: 1 INVITE",
      "Contact: <sip:caller@LOCAL_ADDRESS:LOCAL_PORT>",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");

  it("answers an INVITE from outside the allowed ranges with 403 and logs it", async () => {
    const reply = await sipRequest(invite("outsider-1"), { host: "127.0.0.1", port }, "127.0.0.3");
    expect(reply.split("\r\n")[0]).toBe("SIP/2.0 403 Forbidden");
    expect(kamailio!.log()).toMatch(
      /SIPLOG event=reply code=403 method=INVITE src=127\.0\.0\.3 callid=outsider-1 origin=proxy/,
    );
  });

  it("answers a request with Max-Forwards 0 with 483", async () => {
    const reply = await sipRequest(
      invite("loop-1").replace("Max-Forwards: 70", "Max-Forwards: 0"),
      { host: "127.0.0.1", port },
      "127.0.0.2",
    );
    expect(reply.split("\r\n")[0]).toBe("SIP/2.0 483 Too Many Hops");
  });

  it("relays an INVITE from an allowed source to the destination with the URI rewritten and a Record-Route", async () => {
    // The stand-in destination never answers, so the caller sees no final reply here.
    await expect(sipRequest(invite("allowed-1"), { host: "127.0.0.1", port }, "127.0.0.2", 1000)).rejects.toThrow(
      /no SIP reply/,
    );
    const relayed = received.find((m) => m.includes("Call-ID: allowed-1"));
    expect(relayed).toBeDefined();
    const lines = relayed!.split("\r\n");
    expect(lines[0]).toBe(`INVITE sip:1000@127.0.0.1:${destinationPort} SIP/2.0`);
    expect(lines.filter((l) => /^Record-Route:/i.test(l))).toEqual([`Record-Route: <sip:127.0.0.1:${port};lr>`]);
    expect(lines.find((l) => /^Via:/i.test(l))).toMatch(new RegExp(`^Via: SIP/2.0/UDP 127.0.0.1:${port};branch=`));
    expect(lines).toContain("Max-Forwards: 69");
    expect(kamailio!.log()).toMatch(
      /SIPLOG event=request method=INVITE src=127\.0\.0\.2:\d+ proto=udp callid=allowed-1/,
    );
  });
});

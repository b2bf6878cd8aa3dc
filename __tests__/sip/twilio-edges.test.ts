// Calls from Twilio's real signaling addresses, against prod's kamailio.cfg with its deployed
// source list. These are public addresses, so everything runs inside a network namespace this
// test creates (lab/netns.ts): the proxy, the destination and every caller address sit on the
// namespace's loopback, with no route out.
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { labKamailioConfig } from "../../lab/config";
import { startKamailio, type RunningKamailio } from "../../lab/kamailio";
import { NetworkNamespace } from "../../lab/netns";
import { runSipp, startSipp, type RunningSipp } from "../../lab/sipp";
import { headerValues } from "../../lab/trace";
import { TWILIO_EDGES_PUBLISHED } from "../fixtures/twilio-edges";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

const prod = parseEnvironment(environments.find((e) => e.name === "prod"));
const account = (prod.sourceAccountSids as readonly string[])[0];
const PROXY = { host: "203.0.113.10", port: 5060 };
const DESTINATION = { host: "203.0.113.20", port: 5060 };
const CALLER_PORT = 5062;

/** The first and last address of a /30 (Twilio sends from any of the four). */
function endsOf(cidr: string): [string, string] {
  const [base] = cidr.split("/");
  const octets = base.split(".").map(Number);
  return [base, [...octets.slice(0, 3), octets[3] + 3].join(".")];
}

/** Addresses near Twilio's that are not Twilio's signaling gateways. */
const OUTSIDERS = [
  ["177.71.207.77", "an ordinary sa-east-1 address the old 177.71.206.0/23 let in"],
  ["177.71.206.10", "another sa-east-1 address from the old /23"],
  ["54.172.61.20", "inside the old 54.172.60.0/23, outside Ashburn's /30"],
  ["35.156.191.132", "next to Frankfurt's /30"],
  ["168.86.128.1", "Twilio's media range, which never sends SIP"],
] as const;

describe("calls from Twilio's signaling edges (prod's source list, in a network namespace)", () => {
  let ns: NetworkNamespace;
  let kamailio: RunningKamailio;
  let destination: RunningSipp;

  beforeAll(async () => {
    requireKamailioRoot();
    requireTool("sipp");
    ns = NetworkNamespace.create("edges");
    ns.addAddresses(
      PROXY.host,
      DESTINATION.host,
      ...TWILIO_EDGES_PUBLISHED.flatMap(endsOf),
      ...OUTSIDERS.map(([address]) => address),
    );
    const config = labKamailioConfig(
      prod,
      { listen: PROXY, destinations: [DESTINATION], allowedSource: "as deployed" },
      "namespace",
    );
    kamailio = await startKamailio(config, PROXY, { netns: ns });
    destination = await startSipp({
      scenario: "uas-answer.xml",
      local: DESTINATION,
      calls: 2 * TWILIO_EDGES_PUBLISHED.length,
      timeoutSeconds: 60,
      netns: ns,
    });
  }, 30000);

  afterAll(async () => {
    await destination?.stop();
    await kamailio?.stop();
    ns?.destroy();
  });

  it.each(TWILIO_EDGES_PUBLISHED.flatMap((cidr) => endsOf(cidr).map((address) => [address, cidr])))(
    "connects a call from %s (%s)",
    async (address) => {
      const caller = await runSipp({
        scenario: "uac-call.xml",
        local: { host: address, port: CALLER_PORT },
        target: PROXY,
        keys: { account_sid: account },
        netns: ns,
      });
      expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
      const callId = headerValues(caller.messages[0], "Call-ID")[0];
      expect(kamailio.log()).toMatch(new RegExp(`SIPLOG event=reply code=200 method=INVITE src=\\S+ callid=${callId}`));
    },
  );

  it.each(OUTSIDERS)("refuses a call from %s (%s) with 403 reason=source", async (address) => {
    const caller = await runSipp({
      scenario: "uac-rejected.xml",
      local: { host: address, port: CALLER_PORT },
      target: PROXY,
      keys: { account_sid: account },
      vars: { expect: "403", max_forwards: "70" },
      netns: ns,
    });
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    const callId = headerValues(caller.messages[0], "Call-ID")[0];
    expect(kamailio.log()).toContain(
      `SIPLOG event=reply code=403 method=INVITE src=${address} callid=${callId} origin=proxy reason=source`,
    );
  });

  it("keeps the namespace closed: no route leads out of it", () => {
    expect(ns.ip("-4", "route", "show", "table", "main").trim()).toBe("");
  });
});

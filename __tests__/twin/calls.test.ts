// SIP calls through the network twin: Twilio's source and destination edges as SIPp peers,
// the environment's Kamailio on each instance, and AWS's packet path between them (Elastic IP
// for dev, NLB in and NAT gateway out for staging). The destination drops, and counts, any SIP
// from an address its IP ACL does not list, as a Twilio SIP domain refuses it.
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { runSipp, startSipp, type SippResult } from "../../lab/sipp";
import { NetworkTwin, TWIN_ADDRESSES, type TwinArchitecture } from "../../lab/twin/network";
import { SIP_PORT, startTwinProxies, type TwinProxies } from "../../lab/twin/sip";
import { cseqMethod, headerValues, kindOf } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

const CASES: [TwinArchitecture, string][] = [
  ["single", "dev"],
  ["load-balanced", "staging"],
];

describe.each(CASES)("calls through the %s twin (%s's config)", (architecture, name) => {
  const cfg = parseEnvironment(environments.find((e) => e.name === name));
  const account = (cfg.sourceAccountSids as readonly string[])[0];
  let twin: NetworkTwin;
  let proxies: TwinProxies;
  let caller = 5062;

  beforeAll(async () => {
    requireKamailioRoot();
    for (const tool of ["sipp", "ip", "nft"]) requireTool(tool);
    twin = NetworkTwin.build(architecture, { instances: 2 });
    twin.guardDestination();
    proxies = await startTwinProxies(twin, cfg);
  }, 30000);

  afterAll(async () => {
    await proxies?.stop();
    twin?.destroy();
  });

  /** One call: the destination runs `uas`, the caller `uac`, from a fresh source port. */
  async function call(uas: string, uac: string): Promise<{ caller: SippResult; callee: SippResult }> {
    const destination = await startSipp({
      scenario: uas,
      local: { host: TWIN_ADDRESSES.destinationEdge, port: SIP_PORT },
      netns: twin.twilio,
      timeoutSeconds: 20,
    });
    const result = await runSipp({
      scenario: uac,
      local: { host: TWIN_ADDRESSES.sourceEdge, port: caller++ },
      target: { host: twin.ingress, port: SIP_PORT },
      keys: { account_sid: account },
      netns: twin.twilio,
    });
    return { caller: result, callee: await destination.finish() };
  }

  it("connects a call the caller hangs up; Kamailio sees the caller's own address; the destination sees only its ACL's", async () => {
    const before = twin.destinationCounts();
    const { caller: uac, callee } = await call("uas-answer.xml", "uac-call.xml");
    expect({ exitCode: uac.exitCode, errors: uac.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(callee.messages.filter((m) => m.direction === "received").map(kindOf)).toEqual(["INVITE", "ACK", "BYE"]);
    const callId = headerValues(uac.messages[0], "Call-ID")[0];
    expect(proxies.log()).toMatch(
      new RegExp(
        `SIPLOG event=request method=INVITE dialog=new src=${TWIN_ADDRESSES.sourceEdge}:\\d+ .*callid=${callId}`,
      ),
    );
    const after = twin.destinationCounts();
    expect(after.refused - before.refused).toBe(0);
    expect(after.admitted - before.admitted).toBeGreaterThanOrEqual(3);
  });

  it("connects a call the destination hangs up: its BYE reaches the caller", async () => {
    const before = twin.destinationCounts();
    const { caller: uac, callee } = await call("uas-hangup.xml", "uac-callee-hangup.xml");
    expect({ exitCode: uac.exitCode, errors: uac.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(callee.exitCode).toBe(0);
    expect(uac.messages.filter((m) => m.direction === "received" && kindOf(m) === "BYE").map(cseqMethod)).toEqual([
      "BYE",
    ]);
    expect(twin.destinationCounts().refused - before.refused).toBe(0);
  });
});

// The CloudWatch metric filters are checked against log lines a real Kamailio wrote for
// real calls: a 2xx call, a 403 (source outside the allowed range) and a 408 (nothing
// listens at the destination; short transaction timer).
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { SIP_METRIC_FILTERS, type SipMetric } from "../../constructs/monitoring";
import { OUTSIDER_IP, SipLab } from "../../lab/harness";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

/** CloudWatch Logs semantics for a pattern of quoted terms: every term appears in the event. */
const matches = (terms: readonly string[], line: string) => terms.every((term) => line.includes(term));

describe("SIP metric filters on real Kamailio log lines", () => {
  const cfg = parseEnvironment({
    ...environments.find((e) => e.name === "dev")!,
    sip: { transactionTimeoutMs: 1000, ringTimeoutMs: 10000 },
  });
  let lab: SipLab;
  let lines: string[] = [];

  beforeAll(async () => {
    requireKamailioRoot();
    requireTool("sipp");
    lab = await SipLab.start(cfg);
    const uas = await lab.destinationPeer("uas-answer.xml");
    const answered = await lab.call("uac-call.xml");
    await uas.finish();
    const rejected = await lab.call("uac-rejected.xml", {
      localIp: OUTSIDER_IP,
      vars: { expect: "403", max_forwards: "70" },
    });
    // No destination peer now: the INVITE goes unanswered and the transaction timer fires.
    const timedOut = await lab.call("uac-rejected.xml", { vars: { expect: "408", max_forwards: "70" } });
    for (const r of [answered, rejected, timedOut]) {
      if (r.exitCode !== 0) throw new Error(`call scenario failed:\n${r.errors}`);
    }
    lines = lab
      .kamailioLog()
      .split("\n")
      .filter((l) => l.includes("SIPLOG") && !l.includes("method=OPTIONS"));
  });

  afterAll(async () => {
    await lab?.stop();
  });

  const count = (metric: SipMetric) => lines.filter((l) => matches(SIP_METRIC_FILTERS[metric], l)).length;

  it("counts each new INVITE once, not its ACK, BYE or replies", () => {
    expect(count("NewInvites")).toBe(3);
  });

  it("counts answered INVITEs and 2xx replies", () => {
    expect(count("AnsweredInvites")).toBe(1);
    expect(count("Replies2xx")).toBe(2); // 200 for the INVITE and for the BYE
  });

  it("counts the 403 and the 408 as 4xx, each also in its own metric", () => {
    expect(count("Replies4xx")).toBe(2);
    expect(count("Timeouts408")).toBe(1);
    expect(count("RejectedSources403")).toBe(1);
    expect(count("Replies5xx")).toBe(0);
  });

  it("writes the matched terms on the lines that mean them", () => {
    const timeout = lines.find((l) => matches(SIP_METRIC_FILTERS.Timeouts408, l))!;
    expect(timeout.slice(timeout.indexOf("SIPLOG"))).toMatch(
      /^SIPLOG event=reply code=408 method=INVITE src=127\.0\.0\.2 callid=\S+ origin=timeout$/,
    );
    const rejected = lines.find((l) => matches(SIP_METRIC_FILTERS.RejectedSources403, l))!;
    expect(rejected).toContain(`src=${OUTSIDER_IP}`);
  });
});

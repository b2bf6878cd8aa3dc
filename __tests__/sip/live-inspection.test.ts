// Live inspection with a real Kamailio logging as deployed (syslog to journald, exported to a
// file): its RPC answers on one unix socket for group kamailio only, the README's kamcmd
// recipes answer, and the instances' stats publisher (templates/sip-stats.sh), run once while
// a call holds a transaction, writes a Kamailio log line from which the CloudWatch metric
// filters take both numbers. CloudWatch itself cannot run here: `matchSpaceDelimited` is a
// model of its space-delimited patterns (lab/metric-filter-model.ts says what it covers).
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import {
  NODE_STAT_METRICS,
  NODE_STAT_PATTERN,
  SIP_METRIC_FILTERS,
  type NodeStatMetric,
} from "../../constructs/monitoring";
import { SipLab } from "../../lab/harness";
import { matchSpaceDelimited, metricValue } from "../../lab/metric-filter-model";
import { publishStatsOnce } from "../../lab/stats-publisher";
import type { RunningSipp } from "../../lab/sipp";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

/** `key: value` lines of a kamcmd answer (one level). */
const fields = (answer: string) =>
  Object.fromEntries([...answer.matchAll(/^\s*([\w.]+): (.*)$/gm)].map(([, key, value]) => [key, value.trim()]));

const datapoints = (line: string) =>
  Object.fromEntries(
    Object.entries(NODE_STAT_METRICS).map(([metric, { field }]) => {
      const extracted = matchSpaceDelimited(NODE_STAT_PATTERN, line);
      return [metric, extracted && metricValue(`$${field}`, extracted)];
    }),
  ) as Record<NodeStatMetric, number | undefined>;

describe("live inspection of a real Kamailio", () => {
  const cfg = parseEnvironment(environments.find((e) => e.name === "dev"));
  let root: string;
  let lab: SipLab;
  let silent: RunningSipp;
  let caller: RunningSipp;

  beforeAll(async () => {
    root = requireKamailioRoot();
    requireTool("sipp");
    requireTool("nsenter");
    lab = await SipLab.start(cfg, { kamailio: { logging: "journal" } });
    // A destination that never answers: the caller's INVITE holds its transaction for the
    // progress timer (5 s), long enough to be counted.
    silent = await lab.destinationPeer("uas-silent.xml");
    caller = await lab.startCaller("uac-rejected.xml", { vars: { expect: "408", max_forwards: "70" } });
    for (let i = 0; i < 40 && Number(fields(lab.rpc("tm.stats")).current) < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 30000);

  afterAll(async () => {
    await caller?.stop();
    await silent?.stop();
    await lab?.stop();
  });

  it("answers RPC on one unix socket, read and write for kamailio's group only, and no network listener", () => {
    const socket = lab.kamailioProcess.controlSocket;
    const stat = statSync(socket);
    expect(stat.isSocket()).toBe(true);
    expect((stat.mode & 0o777).toString(8)).toBe("660");
    // The lab runs Kamailio as root: ctl itself makes the socket kamailio's (the instances'
    // unit then hands its owner to root, which the boot test checks).
    const [, , uid, gid] = readFileSync(join(root, "etc/passwd"), "utf8")
      .split("\n")
      .map((line) => line.split(":"))
      .find(([name]) => name === "kamailio")!;
    expect({ uid: String(stat.uid), gid: String(stat.gid) }).toEqual({ uid, gid });
    // ctl's own list of what it listens on (protocol, transport, address, port): the socket only.
    expect(lab.rpc("ctl.listen")).toBe(`binrpc\nunix_stream\n${socket}\n\n`);
  });

  it("answers the README's recipes: shared memory, transactions, bans and destinations", () => {
    const shm = fields(lab.rpc("core.shmmem"));
    for (const key of ["total", "free", "used", "real_used", "max_used"]) expect(Number(shm[key])).toBeGreaterThan(0);
    expect(Number(shm.total)).toBe(64 * 1024 * 1024);
    expect(Number(fields(lab.rpc("tm.stats")).current)).toBeGreaterThanOrEqual(1);
    // The flood-ban table of kamailio.cfg (htable "banned"), empty here.
    expect(lab.rpc("htable.listTables")).toMatch(/name: banned\n[\s\S]*expire: 300/);
    expect(() => lab.rpc("htable.dump", "banned")).not.toThrow();
    // The destinations this instance routes to, as its config defines them.
    const defines = lab.rpc("core.ppdefines_full");
    expect(defines).toMatch(
      new RegExp(`name: DESTINATIONS\\n\\s*type: 0\\n\\s*value: "${lab.destination.host}:${lab.destination.port}"`),
    );
    expect(defines).toMatch(/name: DESTINATION_TRANSPORT\n\s*type: 0\n\s*value: "udp"/);
    expect(() => lab.rpc("dns.view")).not.toThrow();
  });

  it("publishes a SIPSTAT line from which the metric filters take shared memory and transactions (model of CloudWatch)", async () => {
    const before = fields(lab.rpc("core.shmmem"));
    const run = publishStatsOnce(lab.kamailioProcess, "journal");
    expect(run).toEqual({ status: 0, output: "" });
    let line: string | undefined;
    for (let i = 0; i < 40 && !line; i++) {
      line = lab
        .kamailioLog()
        .split("\n")
        .find((l) => l.includes("SIPSTAT"));
      if (!line) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // As the CloudWatch agent ships it: the journal export's timestamp, host and identifier first.
    expect(line).toMatch(/^\S+ \S+ kamailio\[\d+\]: SIPSTAT shm_used_percent \d+\.\d transactions \d+$/);
    const values = datapoints(line!);
    const expected = (100 * Number(before.real_used)) / Number(before.total);
    expect(values.SharedMemoryUsedPercent).toBeGreaterThan(0);
    expect(Math.abs(values.SharedMemoryUsedPercent! - expected)).toBeLessThan(1);
    expect(values.ActiveTransactions).toBeGreaterThanOrEqual(1);
  });

  it("keeps SIPSTAT and SIPLOG lines apart: neither feeds the other's metrics", () => {
    const lines = lab.kamailioLog().split("\n");
    const siplog = lines.filter((l) => l.includes("SIPLOG"));
    const sipstat = lines.filter((l) => l.includes("SIPSTAT"));
    expect(siplog.length).toBeGreaterThan(0);
    expect(sipstat.length).toBeGreaterThan(0);
    for (const l of siplog) expect(matchSpaceDelimited(NODE_STAT_PATTERN, l)).toBeUndefined();
    for (const l of sipstat) {
      for (const terms of Object.values(SIP_METRIC_FILTERS)) expect(terms.every((t) => l.includes(t))).toBe(false);
    }
  });

  it("says so, and gives no datapoint, when Kamailio does not answer", () => {
    const run = publishStatsOnce(lab.kamailioProcess, "stdout", "/nonexistent/kamailio_ctl");
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/^SIPSTAT error=rpc-unanswered\n.*connect/s);
    expect(
      datapoints("2026-01-01T00:00:00.000000+00:00 ip-10-0-1-23 kamailio[7]: SIPSTAT error=rpc-unanswered"),
    ).toEqual({
      SharedMemoryUsedPercent: undefined,
      ActiveTransactions: undefined,
    });
  });
});

// Benchmark (not a test): how many calls per second the SIP core carries on this machine.
//
//   npm run bench:sip -- [--env dev] [--transport udp|tcp] [--rates 250,500,1000,2000,4000,8000]
//                        [--seconds 20] [--callers 0] [--instance-memory-mb 2048] [--peak-cps N]
//                        [--logging journal|journal-default-limit|stderr]
//
// Each step starts a fresh Kamailio with the environment's lab config and the memory the
// instance's user-data would give it (shared = min(sized for sip.peakCallsPerSecond, half
// the instance RAM), tlsf allocator), a SIPp destination, and one or more SIPp callers that
// together place short calls (INVITE/200/ACK, 100 ms, BYE/200) at the step's rate. It
// reports successful and failed calls, retransmissions, INVITE-to-200 time p50/p99, CPU
// seconds per 1,000 calls of Kamailio (all its processes) and of each SIPp, and which process
// ran out of CPU. Kamailio logs as deployed (syslog to journald with its rate limit off,
// exported to a file by journalctl); --logging journal-default-limit keeps journald's default
// rate limit (the old path), --logging stderr writes Kamailio's stderr to the file. Every
// SIPLOG line of every call is counted in that file, and a missing one is reported as lost. Results go to bench/results/ as JSON
// and Markdown.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { loadEnvironmentFiles, runCommand, UsageError, type CommandSpec, type ParsedCommand } from "../scripts/lib/cli";
import { parseEnvironment, sharedMemoryFor, type EnvironmentConfig } from "../config/schema";
import { SipLab } from "../lab/harness";
import { finalStats, SIPP_STATS_ARGS, type RunningSipp, type SippResult } from "../lab/sipp";

const CLOCK_TICKS = 100; // USER_HZ on Linux
const LOGGING = ["journal", "journal-default-limit", "stderr"] as const;
type Logging = (typeof LOGGING)[number];
const LOGGING_TEXT: Record<Logging, string> = {
  journal: "syslog → journald (rate limit off) → journalctl → file, as deployed",
  "journal-default-limit": "syslog → journald (default rate limit) → journalctl → file, the old path",
  stderr: "stderr appended to a file",
};

interface StepResult {
  rate: number;
  seconds: number;
  callers: number;
  attempted: number;
  successful: number;
  failed: number;
  retransmissions: number;
  setupP50Ms: number | null;
  setupP99Ms: number | null;
  kamailioCpuSeconds: number;
  kamailioCpuPer1000Calls: number | null;
  cpuShare: Record<string, number>;
  saturated: string[];
  kamailioErrors: string[];
  /** SIPLOG lines of the benchmark's calls found in the log file, and how many were expected. */
  siplogLines: number;
  siplogExpected: number;
  /** Expected minus found (0 when no line was lost on the way to the file). */
  siplogLost: number;
  /** Bytes of SIPLOG lines per 1,000 successful calls (what CloudWatch Logs ingests). */
  siplogBytesPer1000Calls: number | null;
}

/**
 * The uac-call scenario's SIPLOG lines per call: the INVITE, its 200, the ACK, the BYE and
 * its 200. A line missing from the log file is a line the metric filters never see.
 */
const SIPLOG_LINES_PER_CALL = 5;

/** SIPLOG lines of SIPp's calls (Call-IDs like 12-3456@127.0.0.2; readiness probes excluded). */
function siplogOf(log: string): { lines: number; bytes: number } {
  let lines = 0;
  let bytes = 0;
  for (const line of log.split("\n")) {
    if (!line.includes("SIPLOG ") || !/ callid=\d+-\d+@/.test(line)) continue;
    lines += 1;
    bytes += Buffer.byteLength(line) + 1;
  }
  return { lines, bytes };
}

/** utime + stime of one process, seconds. */
function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds of every live process in a process group (Kamailio's main and children). */
function groupCpu(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      /* exited meanwhile */
    }
  }
  return total;
}

function setupTimes(result: SippResult): number[] {
  const file = Object.keys(result.csv).find((f) => f.endsWith("_rtt.csv"));
  if (!file) return [];
  return result.csv[file]
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => Number(line.split(";")[1]))
    .filter((n) => Number.isFinite(n));
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function runStep(
  cfg: EnvironmentConfig,
  transport: "udp" | "tcp",
  rate: number,
  seconds: number,
  callers: number,
  memory: { sharedMemoryMb: number; privateMemoryMb: number },
  logDir: string,
  logging: Logging,
): Promise<StepResult> {
  const logFile = join(logDir, `kamailio-${transport}-${rate}.log`);
  const lab = await SipLab.start(cfg, {
    destinationTransport: transport,
    kamailio: {
      ...memory,
      allocator: "tlsf",
      logFile,
      logging: logging === "stderr" ? "stderr" : "journal",
      journaldLimit: logging === "journal-default-limit" ? "journald-default" : "deployed",
    },
  });
  try {
    const callsPerCaller = Math.ceil((rate * seconds) / callers);
    const timeoutSeconds = seconds + 30;
    const uas = await lab.destinationPeer("uas-answer.xml", {
      transport,
      calls: callsPerCaller * callers * 2,
      trace: false,
      timeoutSeconds: timeoutSeconds + 10,
      extraArgs: [...SIPP_STATS_ARGS, "-max_recv_loops", "10000", "-max_sched_loops", "10000"],
    });
    const uacs: RunningSipp[] = [];
    for (let i = 0; i < callers; i++) {
      uacs.push(
        await lab.startCaller("uac-call.xml", {
          transport,
          calls: callsPerCaller,
          rate: rate / callers,
          limit: Math.max(1000, Math.ceil((rate / callers) * 5)),
          pauseMs: 100,
          trace: false,
          timeoutSeconds,
          extraArgs: [
            ...SIPP_STATS_ARGS,
            "-trace_rtt",
            "-rtt_freq",
            "1",
            "-max_recv_loops",
            "10000",
            "-max_sched_loops",
            "10000",
          ],
        }),
      );
    }

    // CPU shares are taken over the load window (the step's nominal duration), when every
    // peer is busy; per-call CPU is taken over the whole step, tail included.
    const snapshot = () => ({
      kamailio: groupCpu(lab.kamailioPid),
      uas: processCpu(uas.pid),
      uacs: uacs.map((u) => processCpu(u.pid)),
    });
    const cpuStart = snapshot();
    let cpuWindowEnd = cpuStart;
    let cpuEnd = cpuStart;
    const started = Date.now();
    const windowTimer = setTimeout(() => (cpuWindowEnd = snapshot()), seconds * 1000);
    // Keep the last readings: a process's counters vanish when it exits.
    const sampler = setInterval(() => {
      const now = snapshot();
      cpuEnd = {
        kamailio: now.kamailio,
        uas: now.uas || cpuEnd.uas,
        uacs: now.uacs.map((v, i) => v || cpuEnd.uacs[i]),
      };
    }, 200);
    const results = await Promise.all(uacs.map((u) => u.finish((timeoutSeconds + 15) * 1000)));
    clearInterval(sampler);
    clearTimeout(windowTimer);
    const elapsed = (Date.now() - started) / 1000;
    if (cpuWindowEnd === cpuStart) cpuWindowEnd = cpuEnd;
    const window = Math.min(seconds, elapsed);
    await uas.stop();

    const stats = results.map(finalStats);
    const sum = (key: string) => stats.reduce((n, s) => n + Number(s[key] ?? 0), 0);
    const successful = sum("SuccessfulCall(C)");
    const failed = sum("FailedCall(C)");
    const attempted = sum("OutgoingCall(C)");
    const times = results.flatMap(setupTimes).sort((a, b) => a - b);
    const kamailioCpu = cpuEnd.kamailio - cpuStart.kamailio;
    const cpuShare: Record<string, number> = {
      kamailio: (cpuWindowEnd.kamailio - cpuStart.kamailio) / window,
      "sipp-destination": (cpuWindowEnd.uas - cpuStart.uas) / window,
    };
    uacs.forEach((_, i) => (cpuShare[`sipp-caller-${i + 1}`] = (cpuWindowEnd.uacs[i] - cpuStart.uacs[i]) / window));
    // SIPp is single-threaded: near one core means it is the bottleneck. Kamailio's workers
    // share the machine's cores with the SIPps; the machine is saturated when the sum nears them.
    const cores = availableParallelism();
    const total = Object.values(cpuShare).reduce((a, b) => a + b, 0);
    const saturated = Object.entries(cpuShare)
      .filter(([name, share]) => name !== "kamailio" && share > 0.9)
      .map(([name]) => name);
    if (total > cores * 0.9) saturated.push(`machine (${total.toFixed(2)} of ${cores} cores)`);
    // Give the last lines a moment to reach the file (journald, then journalctl).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const log = lab.kamailioLog();
    const kamailioErrors = [...new Set((log.match(/(ERROR|CRITICAL): .*/g) ?? []).map((l) => l.slice(0, 160)))].slice(
      0,
      5,
    );
    const siplog = siplogOf(log);
    const siplogExpected = successful * SIPLOG_LINES_PER_CALL;
    return {
      rate,
      seconds,
      callers,
      attempted,
      successful,
      failed: failed + Math.max(0, attempted - successful - failed),
      retransmissions: sum("Retransmissions(C)"),
      setupP50Ms: percentile(times, 50),
      setupP99Ms: percentile(times, 99),
      kamailioCpuSeconds: Number(kamailioCpu.toFixed(2)),
      kamailioCpuPer1000Calls: successful > 0 ? Number(((kamailioCpu * 1000) / successful).toFixed(4)) : null,
      cpuShare: Object.fromEntries(Object.entries(cpuShare).map(([k, v]) => [k, Number(v.toFixed(2))])),
      saturated,
      kamailioErrors,
      siplogLines: siplog.lines,
      siplogExpected,
      siplogLost: Math.max(0, siplogExpected - siplog.lines),
      siplogBytesPer1000Calls: successful > 0 ? Math.round((siplog.bytes * 1000) / successful) : null,
    };
  } finally {
    await lab.stop();
  }
}

function markdown(title: string, steps: StepResult[]): string {
  const rows = steps.map(
    (s) =>
      `| ${s.rate} | ${s.seconds} | ${s.callers} | ${s.successful} | ${s.failed} | ${s.retransmissions} | ${s.setupP50Ms ?? "-"} / ${s.setupP99Ms ?? "-"} | ${s.kamailioCpuPer1000Calls ?? "-"} | ${s.siplogLost} of ${s.siplogExpected} | ${Object.entries(
        s.cpuShare,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")} | ${s.saturated.join(", ") || "none"} |`,
  );
  return [
    `### ${title}`,
    "",
    "| calls/s | s | callers | successful | failed | retrans | setup p50/p99 ms | Kamailio CPU s per 1000 calls | SIPLOG lines lost | CPU share (cores) | saturated |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

const SPEC: CommandSpec = {
  command: "npm run bench:sip",
  summary:
    "SIP capacity benchmark: steps of SIPp call rates through the environment's real Kamailio in the lab; prints each step and the highest rate with no failed call, and writes bench/results/. Needs root.",
  readsEnvironments: true,
  options: {
    env: { type: "string", value: "<environment>", description: "whose Kamailio settings", default: "dev" },
    transport: { type: "string", choices: ["udp", "tcp"], description: "the callers' transport", default: "udp" },
    rates: {
      type: "string",
      value: "<n,n,...>",
      description: "calls per second per step",
      default: "250,500,1000,2000,4000,8000",
    },
    seconds: { type: "string", value: "<n>", description: "seconds per step", default: "20" },
    callers: {
      type: "string",
      value: "<n>",
      description: "SIPp callers (0: 1, or 2 above 4000 calls/s)",
      default: "0",
    },
    "instance-memory-mb": {
      type: "string",
      value: "<n>",
      description: "instance RAM the memory rule caps at",
      default: "2048",
    },
    "peak-cps": { type: "string", value: "<n>", description: "sizes shared memory (default: the environment's)" },
    "log-level": { type: "string", value: "<level>", description: "default: the environment's" },
    children: { type: "string", value: "<n>", description: "workers per transport (default: the environment's)" },
    logging: {
      type: "string",
      choices: LOGGING,
      description: "where SIPLOG lines go (journal is as deployed)",
      default: "journal",
    },
  },
  examples: ["npm run bench:sip -- --rates 250,500 --seconds 10", "npm run bench:sip -- --env prod --transport tcp"],
};

async function main({ values: given }: ParsedCommand): Promise<number> {
  // The spec's defaults fill every option but the three that default to the environment's.
  const values = given as Record<string, string> & { "peak-cps"?: string; "log-level"?: string; children?: string };
  const logging = values.logging as Logging;
  const files = loadEnvironmentFiles();
  const input = files.find((e) => e.input.name === values.env)?.input;
  if (!input) {
    throw new UsageError(`unknown environment "${values.env}"; known: ${files.map((e) => e.input.name).join(", ")}`);
  }
  const transport = values.transport as "udp" | "tcp";
  const base = parseEnvironment(input);
  const peak = values["peak-cps"] ? Number(values["peak-cps"]) : base.sip.peakCallsPerSecond;
  const logLevel = (values["log-level"] ?? base.logLevel) as EnvironmentConfig["logLevel"];
  const cfg: EnvironmentConfig = {
    ...base,
    logLevel,
    sip: {
      ...base.sip,
      children: values.children ? Number(values.children) : base.sip.children,
      peakCallsPerSecond: peak,
      sharedMemoryMb: sharedMemoryFor(peak),
    },
  };
  const instanceMb = Number(values["instance-memory-mb"]);
  // Same rule as the user-data: what the peak rate needs, capped at half the RAM.
  const memory = {
    sharedMemoryMb: Math.min(cfg.sip.sharedMemoryMb, Math.floor(instanceMb / 2)),
    privateMemoryMb: cfg.sip.privateMemoryMb,
  };
  const rates = values.rates.split(",").map(Number);
  const seconds = Number(values.seconds);
  const outDir = join(__dirname, "results");
  mkdirSync(outDir, { recursive: true });

  console.log(
    `environment ${cfg.name}: ${cfg.sip.children} workers, transaction timer ${cfg.sip.transactionTimeoutMs} ms, ` +
      `log level ${cfg.logLevel}; shared memory ${memory.sharedMemoryMb} MB (peak ${peak} calls/s, ${instanceMb} MB instance), ` +
      `per-process ${memory.privateMemoryMb} MB, tlsf; ${transport.toUpperCase()}; ${seconds} s per step; ` +
      `logging ${LOGGING_TEXT[logging]}`,
  );
  const steps: StepResult[] = [];
  for (const rate of rates) {
    // One SIPp caller tops out near 5,000 calls/s of this scenario on one core.
    const callers = Number(values.callers) || (rate > 4000 ? 2 : 1);
    process.stdout.write(`  ${rate} calls/s x ${seconds} s (${callers} caller${callers > 1 ? "s" : ""}) ... `);
    const step = await runStep(cfg, transport, rate, seconds, callers, memory, outDir, logging);
    steps.push(step);
    console.log(
      `${step.successful} ok, ${step.failed} failed, ${step.retransmissions} retrans, setup p50/p99 ${step.setupP50Ms}/${step.setupP99Ms} ms, ` +
        `Kamailio ${step.kamailioCpuPer1000Calls} CPU s/1000 calls, SIPLOG lines lost ${step.siplogLost} of ${step.siplogExpected} ` +
        `(${step.siplogBytesPer1000Calls ?? "-"} bytes per 1000 calls), saturated: ${step.saturated.join(", ") || "none"}`,
    );
    for (const error of step.kamailioErrors) console.log(`      kamailio: ${error}`);
  }
  const clean = steps.filter((s) => s.failed === 0 && s.successful > 0);
  const best = clean.length ? Math.max(...clean.map((s) => s.rate)) : 0;
  console.log(`highest rate with zero failed calls: ${best} calls/s`);

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const name = `sip-capacity-${cfg.name}-${transport}-${stamp}`;
  const report = {
    environment: cfg.name,
    transport,
    logging,
    memory,
    peakCallsPerSecond: peak,
    instanceMemoryMb: instanceMb,
    seconds,
    best,
    steps,
  };
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(report, null, 2));
  writeFileSync(
    join(outDir, `${name}.md`),
    markdown(
      `${cfg.name}, ${transport.toUpperCase()}, shared memory ${memory.sharedMemoryMb} MB — best clean rate ${best} calls/s`,
      steps,
    ),
  );
  console.log(`results: bench/results/${name}.{json,md}`);
  return 0;
}

runCommand(SPEC, main);

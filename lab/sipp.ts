// Running SIPp peers for the lab: scenario files from lab/scenarios, message traces
// collected, processes always killed (by process group), readiness by socket, not by sleep.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Endpoint } from "./config";
import { parseSippTrace, type SipMessage } from "./trace";
import { waitForSocket } from "./sockets";
import type { NetworkNamespace } from "./netns";

export const SCENARIO_DIR = join(__dirname, "scenarios");

export interface SippOptions {
  /** File name in lab/scenarios, e.g. "uac-call.xml". */
  readonly scenario: string;
  readonly local: Endpoint;
  /** Where a UAC sends its requests. Omit for a UAS. */
  readonly target?: Endpoint;
  /** @default "udp" */
  readonly transport?: "udp" | "tcp";
  /** User part of the Request-URI. @default "1000" */
  readonly service?: string;
  /** Calls before SIPp exits. @default 1 */
  readonly calls?: number;
  /** Calls per second. @default SIPp's 10 */
  readonly rate?: number;
  /** Maximum simultaneous calls. */
  readonly limit?: number;
  /** Pause of `<pause/>` elements (call hold time), ms. @default 100 */
  readonly pauseMs?: number;
  /** SIPp exits (and fails) after this long. @default 15 */
  readonly timeoutSeconds?: number;
  /** Whether to keep a message trace (costly at high rates). @default true */
  readonly trace?: boolean;
  /** Values for `{{name}}` placeholders in the scenario file (every placeholder needs one). */
  readonly vars?: Readonly<Record<string, string>>;
  readonly keys?: Readonly<Record<string, string>>;
  readonly extraArgs?: readonly string[];
  /** Run SIPp inside this network namespace. @default the host's */
  readonly netns?: NetworkNamespace;
}

export interface SippResult {
  /** SIPp's exit code: 0 all calls succeeded, 1 some failed. */
  readonly exitCode: number | null;
  readonly messages: SipMessage[];
  /** Unexpected messages and scenario errors SIPp reported. */
  readonly errors: string;
  readonly stdout: string;
  /** CSV files SIPp wrote (statistics with -trace_stat, response times with -trace_rtt), by name. */
  readonly csv: Readonly<Record<string, string>>;
}

/** SIPp's -trace_stat arguments that finalStats reads (call counts, every second). */
export const SIPP_STATS_ARGS = ["-trace_stat", "-stf", "stats.csv", "-fd", "1"] as const;

/** The last line of SIPp's statistics file (SIPP_STATS_ARGS), by column name. */
export function finalStats(result: SippResult): Record<string, string> {
  const lines = (result.csv["stats.csv"] ?? "").trim().split("\n");
  if (lines.length < 2) return {};
  const header = lines[0].split(";");
  const last = lines[lines.length - 1].split(";");
  return Object.fromEntries(header.map((h, i) => [h, last[i]]));
}

export interface RunningSipp {
  readonly pid: number;
  /** Waits for SIPp to finish (or kills it after timeoutMs) and returns what it saw. */
  finish(timeoutMs?: number): Promise<SippResult>;
  /** Kills SIPp now and returns what it saw. */
  stop(): Promise<SippResult>;
}

/** The scenario file SIPp runs: the repository's, or a copy with its placeholders filled in. */
function scenarioFile(o: SippOptions, dir: string): string {
  const source = join(SCENARIO_DIR, o.scenario);
  const text = readFileSync(source, "utf8");
  if (!text.includes("{{")) return source;
  const filled = text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = o.vars?.[name];
    if (value === undefined) throw new Error(`${o.scenario} needs a value for {{${name}}}`);
    return value;
  });
  const file = join(dir, o.scenario);
  writeFileSync(file, filled);
  return file;
}

function argsFor(o: SippOptions, dir: string): string[] {
  const args = ["-sf", scenarioFile(o, dir)];
  if (o.target) args.push(`${o.target.host}:${o.target.port}`);
  args.push("-i", o.local.host, "-p", String(o.local.port), "-t", o.transport === "tcp" ? "t1" : "u1");
  args.push("-s", o.service ?? "1000", "-m", String(o.calls ?? 1), "-d", String(o.pauseMs ?? 100));
  if (o.rate !== undefined) args.push("-r", String(o.rate));
  if (o.limit !== undefined) args.push("-l", String(o.limit));
  args.push("-timeout", `${o.timeoutSeconds ?? 15}s`, "-timeout_error", "-nostdin");
  args.push("-trace_err", "-error_file", join(dir, "errors.log"));
  if (o.trace ?? true) args.push("-trace_msg", "-message_file", join(dir, "messages.log"));
  for (const [key, value] of Object.entries(o.keys ?? {})) args.push("-key", key, value);
  args.push(...(o.extraArgs ?? []));
  return args;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** Starts SIPp; for a UAS, resolves once its socket is bound. */
export async function startSipp(o: SippOptions): Promise<RunningSipp> {
  const dir = mkdtempSync(join(tmpdir(), "sipp-"));
  const [cmd, ...args] = o.netns ? o.netns.argv(["sipp", ...argsFor(o, dir)]) : ["sipp", ...argsFor(o, dir)];
  const child = spawn(cmd, args, { cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (e) =>
      reject(new Error(`could not run sipp: ${e.message}. Install it: apt-get install sip-tester`)),
    ),
  );

  const collect = (exitCode: number | null): SippResult => {
    const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
    const csv = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith(".csv"))
        .map((f) => [f, read(f)]),
    );
    const result = {
      exitCode,
      messages: parseSippTrace(read("messages.log")),
      errors: read("errors.log"),
      stdout,
      csv,
    };
    rmSync(dir, { recursive: true, force: true });
    return result;
  };

  let result: SippResult | undefined;
  const finish = async (timeoutMs = 30000): Promise<SippResult> => {
    if (result) return result;
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), timeoutMs);
    const code = await Promise.race([exited, spawnError]);
    clearTimeout(timer);
    result = collect(code);
    return result;
  };
  const stop = async (): Promise<SippResult> => {
    if (result) return result;
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 2000);
    const code = await exited;
    clearTimeout(timer);
    result = collect(code);
    return result;
  };

  if (!o.target) {
    try {
      await Promise.race([
        waitForSocket(o.transport ?? "udp", o.local, 5000, o.netns ? `/proc/${child.pid}/net` : undefined),
        spawnError,
        exited.then(() => {
          throw new Error(`sipp exited before binding ${o.local.host}:${o.local.port}:\n${stdout}`);
        }),
      ]);
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return { pid: child.pid!, finish, stop };
}

/** Runs a UAC to completion. */
export async function runSipp(o: SippOptions): Promise<SippResult> {
  const running = await startSipp(o);
  return running.finish(((o.timeoutSeconds ?? 15) + 10) * 1000);
}

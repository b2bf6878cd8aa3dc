// Running a real Kamailio on loopback: config checks and short-lived test instances. Every
// Kamailio here is Debian 13's package from the test root (lab/roots.ts), the one the
// instances install, never the host's.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetworkNamespace } from "./netns";
import { waitForSocket } from "./sockets";
import { kamailioArgv, kamcmdArgv, kamailioWithJournalArgv, removeLabCgroup, type JournaldLimit } from "./roots";

export interface CheckResult {
  readonly ok: boolean;
  readonly output: string;
}

/** `kamailio -c`: parse the config (modules are loaded but not initialised). */
export function checkConfig(config: string, privateIp = "127.0.0.1"): CheckResult {
  const dir = mkdtempSync(join(tmpdir(), "kamailio-check-"));
  try {
    const file = join(dir, "kamailio.cfg");
    writeFileSync(file, config);
    const [cmd, ...args] = kamailioArgv(["-c", "-f", file, "-A", `PRIVATE_IP=${privateIp}`]);
    const result = spawnSync(cmd, args, { encoding: "utf8" });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunningKamailio {
  readonly pid: number;
  /** Everything Kamailio logged so far (it runs in the foreground, logging to stderr). */
  log(): string;
  /** True once the main process has gone (a crash, if stop() was not called). */
  exited(): boolean;
  /** Runs an RPC command through the ctl module's socket (as `kamcmd` does on an instance). */
  rpc(...args: string[]): string;
  /** The argv of `kamcmd` for this Kamailio's ctl socket, without a command. */
  readonly kamcmd: readonly string[];
  /** The ctl module's unix socket (its default: `kamailio_ctl` in the runtime directory, -Y). */
  readonly controlSocket: string;
  /** Where its log goes (KamailioRunOptions.logging). */
  readonly logging: "stderr" | "journal";
  stop(): Promise<void>;
}

/** An OPTIONS request addressed to the proxy itself (answered 200 by the SIP core). */
export function optionsRequest(
  target: { host: string; port: number },
  callId = `probe-${Date.now()}-${Math.random()}`,
): string {
  return [
    `OPTIONS sip:${target.host}:${target.port} SIP/2.0`,
    "Via: SIP/2.0/UDP LOCAL_ADDRESS:LOCAL_PORT;branch=z9hG4bK-" + callId.replace(/\W/g, ""),
    "Max-Forwards: 70",
    `From: <sip:probe@LOCAL_ADDRESS>;tag=${Date.now()}`,
    `To: <sip:${target.host}:${target.port}>`,
    `Call-ID: ${callId}`,
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}

/**
 * Starts Kamailio in the foreground and waits until it answers an OPTIONS probe (real
 * readiness, no fixed sleep). Always stop() it: the whole process group is killed.
 */
export interface KamailioRunOptions {
  /** Shared memory (-m), MB. @default 64 */
  readonly sharedMemoryMb?: number;
  /** Per-process memory (-M), MB. @default 8 */
  readonly privateMemoryMb?: number;
  /** Memory allocator (-x), e.g. "tlsf" as on the instances. @default Kamailio's default */
  readonly allocator?: string;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /**
   * Send Kamailio's log to this file instead of keeping it in memory (benchmarks log tens
   * of thousands of lines per second). @default in memory
   */
  readonly logFile?: string;
  /**
   * "stderr": Kamailio logs to stderr (-E), quick for tests. "journal": as deployed, syslog to
   * journald, exported to a file by journalctl; log() then returns that file plus stderr.
   * @default "stderr"
   */
  readonly logging?: "stderr" | "journal";
  /** With "journal": journald's rate limit as deployed (off) or journald's default. @default "deployed" */
  readonly journaldLimit?: JournaldLimit;
  /**
   * Run Kamailio inside this network namespace; readiness is then its bound UDP socket,
   * since the host cannot reach addresses inside. @default the host's
   */
  readonly netns?: NetworkNamespace;
}

export async function startKamailio(
  config: string,
  listen: { host: string; port: number },
  options: KamailioRunOptions = {},
): Promise<RunningKamailio> {
  const timeoutMs = options.timeoutMs ?? 10000;
  const dir = mkdtempSync(join(tmpdir(), "kamailio-run-"));
  const file = join(dir, "kamailio.cfg");
  writeFileSync(file, config);
  const logFd = options.logFile ? openSync(options.logFile, "w") : undefined;
  let logClosed = false;
  const journal = options.logging === "journal";
  const exportFile = join(dir, "kamailio.log");
  const kamailioArgs = [
    "-DD",
    ...(journal ? [] : ["-E"]),
    "-f",
    file,
    "-A",
    `PRIVATE_IP=${listen.host}`,
    "-m",
    String(options.sharedMemoryMb ?? 64),
    "-M",
    String(options.privateMemoryMb ?? 8),
    ...(options.allocator ? ["-x", options.allocator] : []),
    "-Y",
    dir,
    "-P",
    join(dir, "pid"),
  ];
  const argv = journal
    ? kamailioWithJournalArgv(kamailioArgs, exportFile, options.journaldLimit)
    : kamailioArgv(kamailioArgs);
  const [cmd, ...args] = options.netns ? options.netns.argv(argv) : argv;
  const child: ChildProcess = spawn(cmd, args, {
    detached: true,
    stdio: options.logFile ? ["ignore", logFd!, logFd!] : ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const stderrLog = () => (options.logFile ? readFileSync(options.logFile, "utf8") : output);
  const currentLog = () =>
    journal && existsSync(exportFile) ? `${stderrLog()}${readFileSync(exportFile, "utf8")}` : stderrLog();
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          /* already gone */
        }
      };
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (journal && child.pid) removeLabCgroup(child.pid);
    if (logFd !== undefined && !logClosed) {
      closeSync(logFd);
      logClosed = true;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`kamailio exited with ${child.exitCode}:\n${currentLog()}`);
    }
    if (Date.now() - started > timeoutMs) {
      await stop();
      throw new Error(`kamailio did not answer OPTIONS within ${timeoutMs} ms:\n${currentLog()}`);
    }
    try {
      if (options.netns) await waitForSocket("udp", listen, 200, `/proc/${child.pid}/net`);
      else await sipRequest(optionsRequest(listen), listen, listen.host, 200);
      break;
    } catch {
      /* not up yet */
    }
  }
  const controlSocket = join(dir, "kamailio_ctl");
  const rpc = (...command: string[]): string => {
    const [kamcmd, ...kamcmdArgs] = kamcmdArgv(controlSocket, command);
    const result = spawnSync(kamcmd, kamcmdArgs, { encoding: "utf8", timeout: 5000 });
    if (result.status !== 0) throw new Error(`kamcmd ${command.join(" ")} failed: ${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  return {
    pid: child.pid!,
    log: currentLog,
    rpc,
    kamcmd: kamcmdArgv(controlSocket, []),
    controlSocket,
    logging: journal ? "journal" : "stderr",
    stop,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
}

/** Sends one SIP request over UDP from `fromAddress` and resolves with the first reply. */
export async function sipRequest(
  message: string,
  to: { host: string; port: number },
  fromAddress: string,
  timeoutMs = 3000,
): Promise<string> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, fromAddress, resolve));
  const { port } = socket.address();
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SIP reply within ${timeoutMs} ms`)), timeoutMs);
      socket.on("message", (data) => {
        const text = data.toString();
        if (text.startsWith("SIP/2.0 1")) return; // provisional
        clearTimeout(timer);
        resolve(text);
      });
      socket.send(
        message.replace(/LOCAL_PORT/g, String(port)).replace(/LOCAL_ADDRESS/g, fromAddress),
        to.port,
        to.host,
      );
    });
  } finally {
    socket.close();
  }
}

// Node-side handle on lab/twin/udp-probe.mjs processes running inside the twin's namespaces.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import type { NetworkNamespace } from "../netns";

const PROBE = join(__dirname, "udp-probe.mjs");

export interface ProbeEvent {
  readonly event: "ready" | "received" | "reply" | "no-reply";
  readonly from?: string;
  readonly port?: number;
  readonly text?: string;
}

/** A probe that runs until it exits on its own (converse) or is stopped (listen). */
export interface RunningProbe {
  /** Events so far. */
  events(): ProbeEvent[];
  /** Resolves when the probe has exited (converse) or after stop(). */
  finished(): Promise<ProbeEvent[]>;
  stop(): Promise<ProbeEvent[]>;
}

function parse(text: string): ProbeEvent[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as ProbeEvent);
}

/** Starts a long-running probe in `ns` and waits until its socket is bound. */
export async function startProbe(ns: NetworkNamespace, args: readonly string[]): Promise<RunningProbe> {
  const [cmd, ...rest] = ns.argv([process.execPath, PROBE, ...args]);
  const child = spawn(cmd, rest, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const started = Date.now();
  while (!stdout.includes('"ready"')) {
    if (child.exitCode !== null || Date.now() - started > 5000) {
      child.kill("SIGKILL");
      throw new Error(`probe ${args.join(" ")} in ${ns.name} did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    events: () => parse(stdout),
    finished: async () => (await exited, parse(stdout)),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      return parse(stdout);
    },
  };
}

/** Sends one datagram from inside `ns` and returns the reply's source, if one came. */
export function sendProbe(
  ns: NetworkNamespace,
  from: string,
  fromPort: number,
  to: string,
  toPort: number,
  text: string,
  waitMs = 1000,
): ProbeEvent {
  const [cmd, ...args] = ns.argv([
    process.execPath,
    PROBE,
    "send",
    from,
    String(fromPort),
    to,
    String(toPort),
    text,
    String(waitMs),
  ]);
  const result = spawnSync(cmd, args, { encoding: "utf8", timeout: waitMs + 5000 });
  const [event] = parse(result.stdout ?? "");
  if (!event) throw new Error(`probe send in ${ns.name} printed nothing: ${result.stderr}`);
  return event;
}

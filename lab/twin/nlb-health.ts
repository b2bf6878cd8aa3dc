// Node-side handle on lab/twin/nlb-health-check.mjs, the twin NLB's health checks and target
// registrations, running inside the AWS namespace.
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { NetworkNamespace } from "../netns";

const SCRIPT = join(__dirname, "nlb-health-check.mjs");

export interface NlbHealthConfig {
  readonly table: string;
  readonly map: string;
  readonly zone: number;
  readonly targets: readonly string[];
  /** Targets registered at the start (an instance refresh registers the others later). */
  readonly registered: readonly string[];
  readonly port: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly deregistrationDelayMs: number;
}

export interface HealthEvent {
  readonly at: number;
  readonly event:
    | "ready"
    | "check"
    | "health"
    | "targets"
    | "cut"
    | "draining"
    | "deregistered"
    | "registered"
    | "error";
  readonly target?: string;
  readonly ok?: boolean;
  readonly status?: "healthy" | "unhealthy";
  readonly inService?: string[];
  readonly registered?: string[];
  readonly text?: string;
}

export interface NlbHealth {
  events(): HealthEvent[];
  /** The targets new flows go to now. */
  inService(): string[];
  /** The targets registered now. */
  registered(): string[];
  /** A target's health: "initial" until its first threshold of checks. */
  status(address: string): "initial" | "healthy" | "unhealthy";
  /** Resolves with the first event (from now on, or already seen when `since` is given) matching. */
  waitFor(match: (e: HealthEvent) => boolean, timeoutMs: number, since?: number): Promise<HealthEvent>;
  /** The ASG's deregistration: no new flows now, the target's flows cut after the delay. */
  deregister(address: string): void;
  register(address: string): void;
  /** Restarts the check interval now: a target that dies next is found as late as possible. */
  passedJustNow(): void;
  stop(): void;
}

export function startNlbHealth(ns: NetworkNamespace, config: NlbHealthConfig): NlbHealth {
  const [cmd, ...args] = ns.argv([process.execPath, SCRIPT, JSON.stringify(config)]);
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const events = () =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as HealthEvent);
  return {
    events,
    inService: () =>
      events()
        .filter((e) => e.event === "targets")
        .at(-1)?.inService ?? [],
    registered: () =>
      events()
        .filter((e) => e.event === "targets")
        .at(-1)?.registered ?? [],
    status: (address) =>
      events()
        .filter((e) => e.event === "health" && e.target === address)
        .at(-1)?.status ?? "initial",
    waitFor: async (match, timeoutMs, since = Date.now()) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events().find((e) => e.at >= since && match(e));
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`the twin's NLB health checks stopped: ${stderr}`);
        if (Date.now() > deadline) {
          throw new Error(
            `no such NLB health event within ${timeoutMs} ms; last: ${JSON.stringify(events().slice(-5))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    deregister: (address) => child.stdin.write(`deregister ${address}\n`),
    register: (address) => child.stdin.write(`register ${address}\n`),
    passedJustNow: () => child.stdin.write("passed-just-now\n"),
    stop: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

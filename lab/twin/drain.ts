// The instances' drain service (templates/drain.sh, unchanged) running in a twin instance's
// namespace, with what it talks to on EC2 played by the twin: instance metadata
// (lab/twin/imds.mjs on 169.254.169.254, its lifecycle state set by the test as Auto Scaling
// would) and the instance's Kamailio through kamcmd. `aws autoscaling
// complete-lifecycle-action` is a hand-written stand-in that records its arguments: no Auto
// Scaling API runs here, and the scenario needs only to know when the instance let go.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DrainSettings } from "../../config/drain";
import type { RunningKamailio } from "../kamailio";
import { DRAIN_SCRIPT } from "../../templates/render";
import type { NetworkNamespace } from "../netns";

const IMDS = join(__dirname, "imds.mjs");
const IMDS_ADDRESS = "169.254.169.254";

export interface TwinDrain {
  /** Auto Scaling's decision: the instance's target lifecycle state becomes "Terminated". */
  terminate(): void;
  /** Resolves when the service has completed the lifecycle action (the instance may go). */
  completed(timeoutMs: number): Promise<void>;
  /** What the service logged (its SIPLOG lines). */
  lines(): string[];
  stop(): void;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export async function startTwinDrain(
  ns: NetworkNamespace,
  kamailio: RunningKamailio,
  settings: DrainSettings,
  o: { instanceId: string; timeScale: number },
): Promise<TwinDrain> {
  const dir = mkdtempSync(join(tmpdir(), "twin-drain-"));
  const state = join(dir, "lifecycle-state");
  const calls = join(dir, "aws-calls");
  writeFileSync(state, "InService\n");
  writeFileSync(join(dir, "aws"), `#!/bin/sh\necho "$*" >> ${quote(calls)}\n`, { mode: 0o755 });
  writeFileSync(join(dir, "kamcmd"), `#!/bin/sh\nexec ${kamailio.kamcmd.map(quote).join(" ")} "$@"\n`, {
    mode: 0o755,
  });
  ns.addAddresses(IMDS_ADDRESS);
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [imdsCmd, ...imdsArgs] = ns.argv([process.execPath, IMDS, state, o.instanceId, "us-east-1"]);
    const imds = spawn(imdsCmd, imdsArgs, { stdio: ["ignore", "pipe", "inherit"] });
    children.push(imds);
    await new Promise<void>((resolve, reject) => {
      imds.stdout.once("data", () => resolve());
      imds.once("exit", (code) => reject(new Error(`the twin's IMDS exited (${code})`)));
    });
    const seconds = (s: number) => Math.max(1, Math.ceil(s * o.timeScale));
    const [cmd, ...args] = ns.argv(["bash", DRAIN_SCRIPT]);
    const service = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PATH: `${dir}:${process.env.PATH}`,
        SIP_PROXY_DRAIN_HOOK: settings.hookName,
        SIP_PROXY_DRAIN_GROUP: settings.autoScalingGroupName,
        SIP_PROXY_DRAIN_DELAY_S: String(seconds(settings.deregistrationDelaySeconds)),
        SIP_PROXY_DRAIN_POLL_S: String(Math.max(0.1, settings.pollSeconds * o.timeScale)),
        SIP_PROXY_IMDS: `http://${IMDS_ADDRESS}`,
        SIP_PROXY_KAMCMD: join(dir, "kamcmd"),
      },
    });
    children.push(service);
    let output = "";
    service.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    service.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    return {
      terminate: () => writeFileSync(state, "Terminated\n"),
      completed: async (timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        while (!(existsSync(calls) && readFileSync(calls, "utf8").includes("complete-lifecycle-action"))) {
          if (Date.now() > deadline) throw new Error(`the drain did not complete in ${timeoutMs} ms:\n${output}`);
          if (service.exitCode !== null) throw new Error(`the drain service exited (${service.exitCode}):\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      lines: () => output.split("\n").filter((line) => line.startsWith("SIPLOG")),
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}

// What a good first boot leaves behind, as a list of problems (empty when healthy), so that a
// test can assert both that the shipped script boots and that a known defect is caught.
import { CONTROL_SOCKET } from "../../templates/render";
import type { BootResult } from "./harness";
import { AWS_URLS } from "./harness";

export interface ExpectedNode {
  readonly privateIp: string;
  readonly sipPort: number;
  readonly sharedMemoryMb: number;
  readonly privateMemoryMb: number;
}

export function bootProblems(boot: BootResult, node: ExpectedNode): string[] {
  const problems: string[] = [];
  if (boot.exitCode !== 0) problems.push(`the script exited ${boot.exitCode}`);
  if (!boot.file("var/lib/sip-proxy/setup-complete")) problems.push("no setup-complete marker");

  const kamailio = boot.units.find((u) => u.unit === "kamailio.service");
  if (!kamailio?.running) {
    problems.push("Kamailio is not running");
  } else {
    const args = kamailio.commandLine;
    if (!args.includes(`PRIVATE_IP=${node.privateIp} `))
      problems.push(`Kamailio runs without PRIVATE_IP=${node.privateIp}: ${args}`);
    if (!args.includes(` -m ${node.sharedMemoryMb} -M ${node.privateMemoryMb} `)) {
      problems.push(`Kamailio runs without -m ${node.sharedMemoryMb} -M ${node.privateMemoryMb}: ${args}`);
    }
  }
  for (const proto of ["udp", "tcp"]) {
    const listening = new RegExp(
      `^${proto}\\s+\\S+\\s+\\d+\\s+\\d+\\s+${node.privateIp.replace(/\./g, "\\.")}:${node.sipPort}\\s`,
      "m",
    );
    if (!listening.test(boot.sockets)) problems.push(`nothing listens on ${proto} ${node.privateIp}:${node.sipPort}`);
  }

  // Kamailio's lines reach the file the CloudWatch agent tails through the journal, with
  // journald's rate limit off and journald restarted to apply it.
  if (!/^RateLimitIntervalSec=0$/m.test(boot.file("etc/systemd/journald.conf.d/60-sip-proxy.conf") ?? "")) {
    problems.push("journald's rate limit is not turned off");
  }
  if (!boot.systemctlCalls.includes("rc=0 systemctl restart systemd-journald")) {
    problems.push("journald was not restarted with its new settings");
  }
  if (!boot.units.find((u) => u.unit === "sip-proxy-kamailio-log.service")?.running) {
    problems.push("the journal-to-file exporter is not running");
  }
  if (kamailio?.running && !/ kamailio\[\d+\]: INFO: <core>/.test(boot.file("var/log/kamailio.log") ?? "")) {
    problems.push("/var/log/kamailio.log holds no Kamailio lines");
  }

  // Kamailio's RPC: one unix socket, root's, for group kamailio only; the stats publisher (as
  // kamailio, fired once like its timer) reads it and logs a SIPSTAT line through the journal.
  if (kamailio?.running) {
    const socket = boot.runtime(CONTROL_SOCKET);
    const seen = socket
      ? `${socket.type} ${socket.owner}:${socket.group} ${socket.mode.toString(8).padStart(4, "0")}`
      : "missing";
    if (seen !== "socket root:kamailio 0660") {
      problems.push(`the RPC socket ${CONTROL_SOCKET} is ${seen}, not socket root:kamailio 0660`);
    }
    if (!/ kamailio\[\d+\]: SIPSTAT shm_used_percent \d/.test(boot.file("var/log/kamailio.log") ?? "")) {
      problems.push("the stats publisher wrote no SIPSTAT line to /var/log/kamailio.log");
    }
  }

  // The SSM agent comes first: downloaded before the first package is fetched, and running.
  const ssmDownload = boot.requests.find(
    (r) => r.service === "aws" && `https://${r.host}${r.url}` === AWS_URLS.ssmAgent,
  );
  const firstMirror = boot.requests.find((r) => r.service === "mirror");
  if (!ssmDownload) problems.push("the SSM agent was never downloaded");
  else if (firstMirror && firstMirror.t < ssmDownload.t) problems.push("apt ran before the SSM agent was installed");
  if (!boot.units.find((u) => u.unit === "amazon-ssm-agent.service")?.running)
    problems.push("the SSM agent is not running");
  return problems;
}

/** A boot that failed must say so on the console, and must not look healthy. */
export function failedLoudly(boot: BootResult): boolean {
  return (
    boot.exitCode !== 0 &&
    /sip-proxy-setup: FAILED/.test(boot.console) &&
    !boot.file("var/lib/sip-proxy/setup-complete")
  );
}

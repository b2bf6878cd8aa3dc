// npm run twin -- <env> [--replies strict|symmetric]
// Builds the network twin of the environment's architecture (Linux network namespaces and
// nftables standing in for the Elastic IP, or the NLB and NAT gateway), starts Twilio's two
// edges and the environment's Kamailio on each instance, places calls with SIPp, prints a
// ladder of each call with the source address every party saw, and tears everything down,
// also on failure and on Ctrl-C. Needs Linux, root, sipp, ip, nft and the Debian 13 Kamailio
// root (`npm run roots`). lab/twin/MODEL.md says what the twin models and what it does not.
import { requireKamailioRoot, requireTool } from "../__tests__/tools/require-tool";
import { parseEnvironment, type EnvironmentConfig } from "../config/schema";
import { RootUnavailableError } from "../lab/debian-root";
import type { ReplyPolicy } from "../lab/twin/edge";
import { renderCallLadder, twinPartyNames } from "../lab/twin/ladder";
import { TWIN_ADDRESSES, type NetworkTwin } from "../lab/twin/network";
import { Rig } from "../lab/twin/rig";
import { runCommand, type CommandSpec, type ParsedCommand } from "./lib/cli";

const { sourceEdge, destinationEdge } = TWIN_ADDRESSES;

/** The calls placed, in order: [what it shows, callee scenario, caller scenario, caller's edge]. */
const CALLS: readonly (readonly [string, string, string, string])[] = [
  ["the caller hangs up", "uas-answer.xml", "uac-call.xml", sourceEdge],
  ["the destination hangs up", "uas-hangup.xml", "uac-callee-hangup.xml", sourceEdge],
  [
    "the caller is on the destination's own edge address, and hangs up",
    "uas-answer.xml",
    "uac-call.xml",
    destinationEdge,
  ],
];

/** The twin's Rig always runs this many instances behind its NLB (lab/twin/rig.ts). */
const RIG_INSTANCES = 2;

const say = (line = "") => console.log(line);

/** Stops with one clear line when the twin cannot run here. */
function preflight(): void {
  if (process.platform !== "linux") {
    throw new PreflightError(`the twin needs Linux (network namespaces and nftables); this is ${process.platform}`);
  }
  if (process.getuid?.() !== 0) {
    throw new PreflightError("the twin needs root (ip netns, nftables, chroot into the Kamailio root): run it as root");
  }
  try {
    for (const tool of ["ip", "nft", "sipp"]) requireTool(tool);
    requireKamailioRoot();
  } catch (error) {
    throw new PreflightError((error as Error).message);
  }
}

class PreflightError extends Error {}

function describeTwin(cfg: EnvironmentConfig, twin: NetworkTwin): string[] {
  const instances = twin.instances.map((i) => i.privateIp).join(", ");
  const lines: string[] = [];
  if (twin.architecture === "single") {
    lines.push(
      `  ${cfg.name} is "single": one instance (${instances}) behind its Elastic IP ${TWIN_ADDRESSES.elasticIp}, ` +
        "a one-to-one NAT that keeps ports; Twilio dials it and the destination sees it",
    );
  } else {
    const min = cfg.loadBalancing?.min;
    const sizing =
      min === RIG_INSTANCES
        ? `${cfg.name}'s autoscaling min is ${min}`
        : `the twin always runs ${RIG_INSTANCES}; ${cfg.name}'s autoscaling min is ${min}`;
    lines.push(
      `  ${cfg.name} is "load-balanced": Twilio dials the NLB ${TWIN_ADDRESSES.nlb}:5060 (client address kept), ` +
        `${twin.instances.length} instances (${instances}; ${sizing})`,
      `  requests to the destination leave through the NAT gateway ${TWIN_ADDRESSES.nat} (ports rewritten); ` +
        "which instance each edge's flow reaches is the NLB's choice and can change from run to run",
    );
    const zones = cfg.availabilityZones.length;
    if (zones > 1 || cfg.loadBalancing?.natGateways === "per-az" || cfg.dns) {
      lines.push(
        `  not modelled for ${cfg.name}: ${zones} zones (the twin has one NLB address and one NAT gateway)` +
          `${cfg.dns ? `, its DNS name ${cfg.dns.name} (the proxies advertise the NLB address)` : ""}`,
      );
    }
  }
  const idle = twin.architecture === "single" ? "" : ` (NLB UDP idle ${twin.idleSeconds.nlbUdp} s)`;
  lines.push(
    `  Twilio's edges: source ${sourceEdge}:5060, destination ${destinationEdge}:5060 (its IP ACL admits ` +
      `${twin.egress.join(", ")}); AWS idle timeouts and Kamailio's timers scaled by ${twin.timeScale}${idle}`,
  );
  return lines;
}

const LEGEND = [
  "Each call: a ladder of its SIP messages (time as the caller's SIPp logged it; lanes: the caller's",
  "SIPp, its Twilio edge, the proxy instance, the destination's edge, the callee's SIPp). Under each",
  "message: where it was sent and the source address the receiving party logged (proxies: SIPLOG",
  "src=, edges: EDGE src=). Edges log no replies; for replies the ladder shows the address the edge",
  "answered (the proxy's Via, with the received/rport it saw). An X marks a request an edge refused,",
  "a ? the last place a lost message was seen.",
];

const SPEC: CommandSpec = {
  command: "npm run twin",
  summary:
    "Runs three calls through an environment's proxy inside the network twin (network namespaces and nftables doing what AWS does to packets) and draws each call's ladder. Needs root.",
  environments: "one",
  options: {
    replies: {
      type: "string",
      choices: ["strict", "symmetric"],
      default: "strict",
      description: "how the Twilio edge stand-ins answer: the Via port (strict) or the source port (symmetric)",
    },
  },
  examples: ["npm run twin -- staging", "npm run twin -- prod --replies symmetric"],
};

async function main({ values, environments: [chosen] }: ParsedCommand): Promise<number> {
  const input = chosen.input;
  const replies = values.replies as ReplyPolicy;
  const cfg = parseEnvironment(input);
  preflight();

  // What a signal handler must stop: the rig once it runs, and one teardown however often asked.
  const running: { rig?: Rig; stopping?: Promise<void> } = {};
  const teardown = () =>
    (running.stopping ??= (async () => {
      if (!running.rig) return;
      say("twin: tearing down (proxies, edges, namespaces) ...");
      await running.rig.stop();
      say("twin: torn down");
    })());
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    // A second Ctrl-C waits for the same teardown instead of killing the process half way.
    process.on(signal, () => {
      console.error(`\ntwin: ${signal}`);
      // Namespaces made before the rig existed are deleted by lab/netns.ts's exit hook.
      void teardown().finally(() => process.exit(code));
    });
  }

  const started = Date.now();
  say(
    `twin: building the ${cfg.architecture} twin for ${cfg.name} and starting Twilio's two edges ` +
      `(${replies} replies) and ${cfg.name}'s Kamailio on each instance ...`,
  );
  const rig = await Rig.start(cfg.architecture, cfg.name, replies);
  running.rig = rig;
  try {
    say(`twin: up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const line of describeTwin(cfg, rig.twin)) say(line);
    say();
    for (const line of LEGEND) say(line);
    const parties = twinPartyNames(
      rig.twin.architecture,
      rig.twin.instances.map((i) => i.privateIp),
    );

    let failed = 0;
    for (const [i, [title, uas, uac, from]] of CALLS.entries()) {
      say();
      say(`twin: call ${i + 1} of ${CALLS.length}: ${title} (${uac} -> ${uas}) ...`);
      const result = await rig.call(uas, uac, { from });
      const logs = {
        proxies: rig.proxies.proxies.map((p, n) => ({ privateIp: rig.twin.instances[n].privateIp, log: p.log() })),
        edges: [
          { address: sourceEdge, log: rig.source.log() },
          { address: destinationEdge, log: rig.destination.log() },
        ],
      };
      const call = {
        title,
        caller: result.caller.messages,
        callee: result.callee.messages,
        callerEdge: from,
        calleeEdge: destinationEdge,
      };
      say();
      for (const line of renderCallLadder(i + 1, call, logs, parties)) say(line);
      const passed = result.caller.exitCode === 0 && result.callee.exitCode === 0 && result.refused.length === 0;
      if (!passed) failed++;
      say(
        `  result: ${passed ? "completed" : "FAILED"} (caller SIPp exit ${result.caller.exitCode}, ` +
          `callee SIPp exit ${result.callee.exitCode}` +
          `${result.refused.length ? `; the destination refused ${result.refused.join(", ")}` : ""})`,
      );
      for (const text of [result.caller.errors, result.callee.errors].filter((e) => e.trim())) {
        for (const line of text.trim().split("\n").slice(0, 20)) say(`    ${line}`);
      }
    }
    say();
    say(failed ? `twin: ${failed} of ${CALLS.length} calls FAILED` : `twin: all ${CALLS.length} calls completed`);
    return failed ? 1 : 0;
  } finally {
    await teardown();
  }
}

runCommand(SPEC, async (args) => {
  try {
    return await main(args);
  } catch (error) {
    if (error instanceof PreflightError || error instanceof RootUnavailableError) {
      console.error(`twin: ${error.message}`);
      return 1;
    }
    throw error;
  }
});

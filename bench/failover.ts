// Benchmark (not a test): how long a caller waits when destinations fail, on this machine.
//
//   npm run bench:failover -- [--runs 3] [--transaction-ms 1500] [--progress-ms 2500]
//
// Runs dev's SIP core in the lab with two destinations and the given timers, and for each
// case measures, over several runs, the time from the caller's INVITE to its final reply
// (200 from the second destination, or 408). Prints each case's runs, median and the bound
// the README states (destinations × (transactionTimeoutMs + progressTimeoutMs)). The SIP
// tests assert the same cases against the bound; this prints the figures the README quotes.
import { loadEnvironmentFiles, runCommand, type CommandSpec, type ParsedCommand } from "../scripts/lib/cli";
import { parseEnvironment, worstCaseTimeToFinalMs } from "../config/schema";
import { SipLab } from "../lab/harness";
import type { SippResult } from "../lab/sipp";
import { cseqMethod, kindOf } from "../lab/trace";

const SPEC: CommandSpec = {
  command: "npm run bench:failover",
  summary:
    "Times how long a call takes to reach its final reply when the first destination is silent or failing, through the dev environment's real Kamailio in the lab, against the bound the config computes. Needs root.",
  readsEnvironments: true,
  options: {
    runs: { type: "string", value: "<n>", description: "runs per case", default: "3" },
    "transaction-ms": { type: "string", value: "<ms>", description: "sip.transactionTimeoutMs", default: "1500" },
    "progress-ms": { type: "string", value: "<ms>", description: "sip.progressTimeoutMs", default: "2500" },
  },
  examples: ["npm run bench:failover", "npm run bench:failover -- --runs 5"],
};

let values: Record<string, string> = {};
let runs = 3;
let cfg: ReturnType<typeof parseEnvironment>;

function configure(given: Record<string, unknown>): void {
  values = given as Record<string, string>;
  runs = Number(values.runs);
  cfg = parseEnvironment({
    ...loadEnvironmentFiles().find((e) => e.input.name === "dev")!.input,
    sip: {
      transactionTimeoutMs: Number(values["transaction-ms"]),
      progressTimeoutMs: Number(values["progress-ms"]),
      ringTimeoutMs: 10000,
    },
  });
}

function timeTo(r: SippResult, code: string): number {
  const invite = r.messages.find((m) => m.direction === "sent" && kindOf(m) === "INVITE")!;
  const reply = r.messages.find((m) => m.direction === "received" && kindOf(m) === code && cseqMethod(m) === "INVITE");
  if (!reply) throw new Error(`no ${code} reached the caller:\n${r.errors}`);
  return reply.time - invite.time;
}

type Case = {
  name: string;
  final: "200" | "408";
  run(lab: SipLab): Promise<SippResult>;
};

const answerOnSecond = async (lab: SipLab, first: string, vars?: Record<string, string>) => {
  const a = await lab.destinationPeer(first, { index: 0, timeoutSeconds: 20, vars });
  const b = await lab.destinationPeer("uas-answer.xml", { index: 1 });
  const caller = await lab.call("uac-call.xml", { timeoutSeconds: 20 });
  await a.stop();
  await b.finish();
  return caller;
};

const CASES: Case[] = [
  { name: "first silent → 200 from the second", final: "200", run: (lab) => answerOnSecond(lab, "uas-silent.xml") },
  {
    name: "first stuck at 100 Trying → 200 from the second",
    final: "200",
    run: (lab) => answerOnSecond(lab, "uas-trying.xml"),
  },
  {
    name: "first answers 503 → 200 from the second",
    final: "200",
    run: (lab) => answerOnSecond(lab, "uas-reject.xml", { code: "503", reason: "Service Unavailable" }),
  },
  {
    name: "both silent → 408",
    final: "408",
    run: (lab) => lab.call("uac-rejected.xml", { vars: { expect: "408", max_forwards: "70" }, timeoutSeconds: 20 }),
  },
  {
    name: "both stuck at 100 Trying → 408",
    final: "408",
    run: async (lab) => {
      const peers = await Promise.all(
        [0, 1].map((index) => lab.destinationPeer("uas-trying.xml", { index, timeoutSeconds: 20 })),
      );
      const caller = await lab.call("uac-rejected.xml", {
        vars: { expect: "408", max_forwards: "70" },
        timeoutSeconds: 20,
      });
      await Promise.all(peers.map((p) => p.stop()));
      return caller;
    },
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main({ values: given }: ParsedCommand): Promise<number> {
  configure(given);
  const bound = worstCaseTimeToFinalMs({ ...cfg, destinations: ["first", "second"] });
  console.log(
    `failover timers: transactionTimeoutMs ${cfg.sip.transactionTimeoutMs}, progressTimeoutMs ${cfg.sip.progressTimeoutMs}, 2 destinations, bound ${bound} ms, ${runs} runs`,
  );
  const lab = await SipLab.start(cfg, { destinationCount: 2 });
  try {
    for (const c of CASES) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(Math.round(timeTo(await c.run(lab), c.final)));
      console.log(`${c.name}: ${times.join(", ")} ms (median ${median(times)} ms)`);
    }
  } finally {
    await lab.stop();
  }
  return 0;
}

runCommand(SPEC, main);

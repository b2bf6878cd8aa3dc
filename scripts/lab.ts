// npm run lab -- <env> [--transport udp|tcp]
// Starts the environment's lab (real Kamailio with the lab variant of its config, a SIPp caller
// and a destination on 127.0.0.0/8), places one call, prints the SIP ladder and the proxy's
// log lines for it, and cleans up. The proxy reaches the destination over the environment's
// sip.destinationTransport (UDP, TCP or TLS); --transport is the caller's leg (lab/lab-call.ts).
import { parseEnvironment } from "../config/schema";
import { labCall } from "../lab/lab-call";
import { runCommand, type CommandSpec, type ParsedCommand } from "./lib/cli";

const SPEC: CommandSpec = {
  command: "npm run lab",
  summary:
    "Places one call through the environment's SIP core: a real Kamailio (Debian 13's package) with the lab variant of its config, a SIPp caller and a destination on loopback reached over the environment's sip.destinationTransport (UDP, TCP or TLS). Prints the ladder and the proxy's log lines. Needs root, sipp, openssl and the Kamailio root (npm run roots).",
  environments: "one",
  options: {
    transport: {
      type: "string",
      choices: ["udp", "tcp"],
      default: "udp",
      description: "the caller's transport to the proxy; the destination's is the environment's",
    },
  },
  examples: ["npm run lab -- dev", "npm run lab -- staging --transport tcp"],
};

async function main({ values, environments: [chosen] }: ParsedCommand): Promise<number> {
  const transport = values.transport as "udp" | "tcp";
  const result = await labCall(parseEnvironment(chosen.input), { callerTransport: transport });
  return result.ok ? 0 : 1;
}

runCommand(SPEC, main);

// npm run render -- <env> [kamailio|user-data] [--lab [--listen 127.0.0.1:5060]
//                          [--destination 127.0.0.1:5070[,127.0.0.1:5072]] [--allowed 127.0.0.2/32]]
// Prints the exact text an environment deploys, taken from its synthesized stack, with
// values only known at deploy time shown as Terraform expressions (e.g. the Elastic IP).
// With --lab: the lab variant of kamailio.cfg (same SIP core and parameters, loopback
// addresses), to run by hand: kamailio -DD -E -f lab.cfg -A PRIVATE_IP=127.0.0.1
import { parseEnvironment } from "../config/schema";
import { parseCidr } from "../config/cidr";
import { DEFAULT_LAB_ADDRESSES, LabInputError, assertLoopback, labKamailioConfig, parseEndpoint } from "../lab/config";
import { deployedUserData, embeddedKamailioConfig, synthesizeToMemory } from "./lib/stack-json";
import { runCommand, UsageError, type CommandSpec, type ParsedCommand } from "./lib/cli";

const WHAT = ["kamailio", "user-data"] as const;

const SPEC: CommandSpec = {
  command: "npm run render",
  summary:
    "Prints the exact text an environment deploys (kamailio.cfg or the first-boot script), from its synthesized stack; deploy-time values show as Terraform expressions. --lab prints the lab variant of kamailio.cfg, with loopback addresses.",
  environments: "one",
  arguments: `[${WHAT.join("|")}]`,
  argumentCount: [0, 1],
  options: {
    lab: { type: "boolean", description: "the lab variant of kamailio.cfg (same SIP core, loopback addresses)" },
    listen: {
      type: "string",
      value: "<ip:port>",
      description: "with --lab: where Kamailio listens (default 127.0.0.1:5060)",
    },
    destination: {
      type: "string",
      value: "<ip:port>[,<ip:port>]",
      description: "with --lab: the destinations (default 127.0.0.1:5070)",
    },
    allowed: {
      type: "string",
      value: "<cidr>",
      description: "with --lab: the allowed SIP source (default 127.0.0.2/32)",
    },
  },
  examples: [
    "npm run render -- dev kamailio",
    "npm run render -- prod user-data",
    "npm run render -- dev kamailio --lab --listen 127.0.0.1:5060 --destination 127.0.0.1:5070",
  ],
};

function main({ values, positionals, environments: [chosen] }: ParsedCommand): number {
  const [, what = "kamailio"] = positionals;
  const input = chosen.input;
  if (!(WHAT as readonly string[]).includes(what))
    throw new UsageError(`unknown template "${what}"; known: ${WHAT.join(", ")}`);
  const labOnly = values.listen ?? values.destination ?? values.allowed;
  if ((values.lab && what !== "kamailio") || (labOnly && !values.lab)) {
    throw new UsageError("--lab and its options apply to the kamailio template only");
  }
  try {
    if (values.lab) {
      const allowed = (values.allowed as string | undefined) ?? DEFAULT_LAB_ADDRESSES.allowedSource;
      const cidr = parseCidr(allowed);
      if (!cidr) throw new LabInputError(`--allowed must be a CIDR such as 127.0.0.2/32, got "${allowed}"`);
      assertLoopback("--allowed", cidr.address);
      const config = labKamailioConfig(parseEnvironment(input), {
        listen: values.listen ? parseEndpoint(values.listen as string, "--listen") : DEFAULT_LAB_ADDRESSES.listen,
        destinations: values.destination
          ? (values.destination as string).split(",").map((d) => parseEndpoint(d, "--destination"))
          : DEFAULT_LAB_ADDRESSES.destinations,
        allowedSource: allowed,
      });
      process.stdout.write(config);
      return 0;
    }
    const stack = synthesizeToMemory([input]).get(input.name)!;
    const userData = deployedUserData(stack);
    process.stdout.write(what === "kamailio" ? `${embeddedKamailioConfig(userData)}\n` : userData);
    return 0;
  } catch (error) {
    if (error instanceof LabInputError) throw new UsageError(error.message);
    throw error;
  }
}

runCommand(SPEC, main);

// npm run render -- <env> [kamailio|user-data] [--lab [--listen 127.0.0.1:5060]
//                          [--destination 127.0.0.1:5070[,127.0.0.1:5072]] [--allowed 127.0.0.2/32]]
// Prints the exact text an environment deploys, taken from its synthesized stack, with
// values only known at deploy time shown as Terraform expressions (e.g. the Elastic IP).
// With --lab: the lab variant of kamailio.cfg (same SIP core and parameters, loopback
// addresses), to run by hand: kamailio -DD -E -f lab.cfg -A PRIVATE_IP=127.0.0.1
import { parseArgs } from "node:util";
import { environments } from "../config/environments";
import { ConfigError, parseEnvironment } from "../config/schema";
import { parseCidr } from "../config/cidr";
import { DEFAULT_LAB_ADDRESSES, LabInputError, assertLoopback, labKamailioConfig, parseEndpoint } from "../lab/config";
import { deployedUserData, embeddedKamailioConfig, synthesizeToMemory } from "./lib/stack-json";

const WHAT = ["kamailio", "user-data"] as const;
const USAGE =
  `usage: npm run render -- <environment> [${WHAT.join("|")}] ` +
  "[--lab [--listen 127.0.0.1:5060] [--destination 127.0.0.1:5070] [--allowed 127.0.0.2/32]]";

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      lab: { type: "boolean", default: false },
      listen: { type: "string" },
      destination: { type: "string" },
      allowed: { type: "string" },
    },
  });
  const [envName, what = "kamailio"] = positionals;
  const input = environments.find((e) => e.name === envName);
  if (!input) {
    console.error(`${USAGE}\nenvironments: ${environments.map((e) => e.name).join(", ")}`);
    return 2;
  }
  if (!(WHAT as readonly string[]).includes(what)) {
    console.error(`unknown template "${what}"\n${USAGE}`);
    return 2;
  }
  const labOnly = values.listen ?? values.destination ?? values.allowed;
  if ((values.lab && what !== "kamailio") || (labOnly && !values.lab)) {
    console.error(`--lab and its options apply to the kamailio template only\n${USAGE}`);
    return 2;
  }
  try {
    if (values.lab) {
      const allowed = values.allowed ?? DEFAULT_LAB_ADDRESSES.allowedSource;
      const cidr = parseCidr(allowed);
      if (!cidr) throw new LabInputError(`--allowed must be a CIDR such as 127.0.0.2/32, got "${allowed}"`);
      assertLoopback("--allowed", cidr.address);
      const config = labKamailioConfig(parseEnvironment(input), {
        listen: values.listen ? parseEndpoint(values.listen, "--listen") : DEFAULT_LAB_ADDRESSES.listen,
        destinations: values.destination
          ? values.destination.split(",").map((d) => parseEndpoint(d, "--destination"))
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
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    if (error instanceof LabInputError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}

process.exit(main());

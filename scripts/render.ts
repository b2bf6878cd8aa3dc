// npm run render -- <env> [kamailio|user-data]
// Prints the exact text an environment deploys, taken from its synthesized stack, with
// values only known at deploy time shown as Terraform expressions (e.g. the Elastic IP).
import { environments } from "../config/environments";
import { ConfigError } from "../config/schema";
import { deployedUserData, embeddedKamailioConfig, synthesizeToMemory } from "./lib/stack-json";

const WHAT = ["kamailio", "user-data"] as const;
const USAGE = `usage: npm run render -- <environment> [${WHAT.join("|")}]`;

function main(argv: string[]): number {
  const [envName, what = "kamailio"] = argv;
  const names = environments.map((e) => e.name);
  if (!envName || !names.includes(envName)) {
    console.error(`${USAGE}\nenvironments: ${names.join(", ")}`);
    return 2;
  }
  if (!(WHAT as readonly string[]).includes(what)) {
    console.error(`unknown template "${what}"\n${USAGE}`);
    return 2;
  }
  try {
    const stack = synthesizeToMemory(environments.filter((e) => e.name === envName)).get(envName)!;
    const userData = deployedUserData(stack);
    process.stdout.write(what === "kamailio" ? `${embeddedKamailioConfig(userData)}\n` : userData);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

process.exit(main(process.argv.slice(2)));

// npm run rehearse [-- <env> ...]   (every environment without arguments)
// Applies each synthesized stack to moto (an AWS emulator on loopback, see scripts/lib/moto.ts)
// and checks what only an apply can show. Exits 1 when any check fails. See the README,
// "Deploy rehearsal".
import { join } from "node:path";
import { environments } from "../config/environments";
import { stackNameFor } from "../config/names";
import { RootUnavailableError } from "../lab/debian-root";
import { ensureMotoRoot, startMoto } from "./lib/moto";
import { rehearseEnvironments } from "./lib/rehearse-run";
import { SCRATCH_DIR } from "./lib/terraform";

async function main(argv: string[]): Promise<number> {
  const names = environments.map((e) => e.name);
  const unknown = argv.filter((a) => !names.includes(a));
  if (unknown.length > 0 || argv.includes("--help")) {
    console.error(`usage: npm run rehearse [-- <${names.join("|")}> ...]   (all environments without arguments)`);
    return 2;
  }
  const chosen = argv.length > 0 ? argv : names;
  let emulator: { root: string; version: string };
  try {
    emulator = ensureMotoRoot((line) => console.log(line));
  } catch (error) {
    if (error instanceof RootUnavailableError) {
      console.error(`rehearse: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const results = await rehearseEnvironments(
    chosen,
    async (name) => {
      const server = await startMoto(
        emulator.root,
        emulator.version,
        join(SCRATCH_DIR, "rehearsal", `moto-${name}.log`),
      );
      console.log(`moto ${emulator.version} for ${name} listening on ${server.endpoint} (log: ${server.logFile})`);
      return server;
    },
    (line) => console.log(line),
  );
  console.log("\nsummary:");
  for (const r of results) {
    console.log(
      `  ${stackNameFor(r.environment)}: ${r.failures.length === 0 ? "PASS" : "FAIL"} in ${r.seconds.toFixed(0)} s`,
    );
    for (const failure of r.failures) console.log(`    - ${failure}`);
  }
  return results.every((r) => r.failures.length === 0) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);

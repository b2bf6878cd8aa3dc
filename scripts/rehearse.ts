// npm run rehearse [-- <env> ...]   (every environment without arguments)
// Applies each synthesized stack to moto (an AWS emulator on loopback, see scripts/lib/moto.ts)
// and checks what only an apply can show. Exits 1 when any check fails. See the README,
// "Deploy rehearsal".
import { join } from "node:path";
import { stackNameFor } from "../config/names";
import { parseEnvironments } from "../config/schema";
import { RootUnavailableError } from "../lab/debian-root";
import { ensureMotoRoot, startMoto } from "./lib/moto";
import { rehearseEnvironments } from "./lib/rehearse-run";
import { SCRATCH_DIR } from "./lib/terraform";
import { runCommand, type CommandSpec, type ParsedCommand } from "./lib/cli";

const SPEC: CommandSpec = {
  command: "npm run rehearse",
  summary:
    "Applies each synthesized stack to moto (an AWS emulator on loopback) and checks what only an apply shows: the reviewed state, a clean second plan, a predicted change, the refused destroy. All environments when none is named.",
  environments: "any",
  examples: ["npm run rehearse", "npm run rehearse -- prod"],
};

async function main({ environments: wanted }: ParsedCommand): Promise<number> {
  const chosen = wanted.map((e) => String(e.input.name));
  // Bad input stops here, before the emulator is built or started.
  parseEnvironments(
    wanted.map((e) => e.input),
    wanted.map((e) => e.file),
  );
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

runCommand(SPEC, main);

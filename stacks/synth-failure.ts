// How a synth that stopped on bad input ends, the same for `cdktf synth` (main.ts) and
// `npm run synth` (scripts/synth.ts): every problem printed, and no stack folder of an
// earlier run left behind to be deployed or inspected as if it were current.
import { relative } from "node:path";
import { ConfigError, EnvironmentFileError } from "../config/config-error";
import { stackNameFor } from "../config/names";
import { ConstructError } from "../constructs/construct-error";
import { PolicyViolationError } from "./policy";
import { removeStackOutputs } from "./stack-outputs";
import { StrandedStateError } from "./state-guard";

/**
 * What to print for a run that stopped on bad input (an environment, a construct's props,
 * the security policy, stranded local state): synth's and every command's (scripts/lib/cli.ts).
 * Undefined for anything else, which is a bug and keeps its stack trace.
 */
export function badInputLines(error: unknown): string[] | undefined {
  if (error instanceof PolicyViolationError) {
    return [
      ...error.violations.map((v) => v.message),
      "synth stopped by the security policy (stacks/policy.ts): fix the violations above, or suppress one with a written reason",
    ];
  }
  if (error instanceof ConstructError) {
    return [error.message, "synth stopped: a construct was given props it cannot build"];
  }
  if (error instanceof ConfigError || error instanceof StrandedStateError || error instanceof EnvironmentFileError) {
    return [error.message];
  }
  return undefined;
}

/** The stacks a run over these environment inputs writes (inputs without a name write none). */
export function stackNamesOf(inputs: readonly unknown[]): string[] {
  return inputs
    .map((input) => (input as { name?: unknown } | null)?.name)
    .filter((name): name is string => typeof name === "string")
    .map(stackNameFor);
}

/** Prints why synth stopped, removes the output of every stack it would have written, and says so. */
export function reportFailedSynth(lines: readonly string[], outdir: string, stacks: readonly string[]): void {
  for (const line of lines) console.error(line);
  for (const folder of removeStackOutputs(outdir, stacks)) {
    console.error(`removed stale output ${relative(process.cwd(), folder)}`);
  }
  console.error("nothing was synthesized");
}

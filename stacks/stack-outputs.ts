// The stack folders in cdktf.out: what a failed synth must not leave looking current, and
// what an environment that no longer exists leaves behind.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Removes the output of `stacks` (their folders under `<outdir>/stacks`), so that after a
 * failed synth no `cdk.tf.json` of an earlier run is left to deploy or inspect by mistake.
 * Returns the folders removed.
 */
export function removeStackOutputs(outdir: string, stacks: readonly string[]): string[] {
  const removed: string[] = [];
  for (const stack of stacks) {
    const folder = join(outdir, "stacks", stack);
    if (existsSync(folder)) {
      rmSync(folder, { recursive: true, force: true });
      removed.push(folder);
    }
  }
  return removed;
}

/**
 * Stack folders of environments that are no longer configured. They are kept (their AWS
 * resources, and the state that names them, may still exist) until removed on purpose.
 */
export function orphanedStackOutputs(outdir: string, stacks: readonly string[]): string[] {
  const root = join(outdir, "stacks");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => !stacks.includes(name))
    .map((name) => join(root, name));
}

// The committed provider lock file of each stack (terraform-locks/<stack>.terraform.lock.hcl),
// put into the stack's synthesized folder after every synth. With a lock file that matches the
// required provider, `cdktf diff/deploy` skip their `terraform providers lock`, which ignores
// a filesystem mirror and fails on a machine that has only the mirror (cdktf-stack.js
// checkNeedsLockfileUpdate). The lock also pins the provider's checksums for every deploy.
import { copyFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const LOCKS_DIR = resolve(__dirname, "..", "terraform-locks");

export const lockFileFor = (stack: string) => join(LOCKS_DIR, `${stack}.terraform.lock.hcl`);

/** Copies each stack's committed lock file next to its cdk.tf.json; returns the stacks without one. */
export function installLockFiles(outdir: string, stacks: readonly string[]): string[] {
  const missing: string[] = [];
  for (const stack of stacks) {
    const source = lockFileFor(stack);
    const folder = join(outdir, "stacks", stack);
    if (!existsSync(source)) missing.push(stack);
    else if (existsSync(folder)) copyFileSync(source, join(folder, ".terraform.lock.hcl"));
  }
  return missing;
}

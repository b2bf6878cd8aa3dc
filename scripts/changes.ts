// npm run changes -- <base-ref>
// What the working tree changes compared with a git revision, per stack: resources added,
// removed, changed in place or replaced, and a loud line for every Elastic IP, NLB or NAT
// gateway that would be lost. Offline: both sides are synthesized here, nothing is planned.
// Exit codes: 0 the report; 1 a side could not be synthesized (or a crash); 2 a usage error
// (scripts/lib/cli.ts); 3 (ADDRESS_LOSS_EXIT) the report, then a refusal: an Elastic IP would be
// destroyed or replaced and its environment does not set allowElasticIpDestroy
// (scripts/lib/address-guard.ts).
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackNameFor } from "../config/names";
import {
  ADDRESS_LOSS_EXIT,
  lossesInChanges,
  refusalMessage,
  refusedLosses,
  type StackEnvironment,
} from "./lib/address-guard";
import { loadEnvironmentFiles, runCommand, UsageError, type CommandSpec, type ParsedCommand } from "./lib/cli";
import { diffStacks, formatChanges, hasDanger } from "./lib/stack-diff";
import type { StackJson } from "./lib/stack-json";
import { PROJECT_ROOT, SCRATCH_DIR } from "./lib/terraform";

/** One side could not be synthesized (its own code refused it): its output says why. */
class SynthesisError extends Error {}

function git(args: string[]): string {
  const result = spawnSync("git", args, { cwd: PROJECT_ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/**
 * Synthesizes a checkout the way `cdktf synth` would: its own cdktf.json `app` command, so
 * an older revision is built by its own code, whatever its scripts looked like then.
 */
function synthesize(dir: string, label: string): Map<string, StackJson> {
  const outdir = mkdtempSync(join(tmpdir(), `sip-proxy-changes-${label}-`));
  try {
    const { app } = JSON.parse(readFileSync(join(dir, "cdktf.json"), "utf8")) as { app: string };
    const run = spawnSync(app, {
      cwd: dir,
      shell: true,
      encoding: "utf8",
      env: { ...process.env, CDKTF_OUTDIR: outdir },
    });
    if (run.status !== 0) throw new SynthesisError(`synthesizing the ${label} failed (\`${app}\`):\n${run.stderr}`);
    const stacksDir = join(outdir, "stacks");
    const names = existsSync(stacksDir) ? readdirSync(stacksDir) : [];
    return new Map(
      names.map((name) => [name, JSON.parse(readFileSync(join(stacksDir, name, "cdk.tf.json"), "utf8")) as StackJson]),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Checks the revision out beside the project, sharing node_modules so nothing is downloaded. */
function withCheckout<T>(sha: string, use: (dir: string) => T): T {
  const dir = join(SCRATCH_DIR, "changes", `base-${sha.slice(0, 12)}`);
  if (existsSync(dir)) git(["worktree", "remove", "--force", dir]);
  mkdirSync(join(SCRATCH_DIR, "changes"), { recursive: true });
  git(["worktree", "add", "--detach", "--quiet", dir, sha]);
  const modules = join(dir, "node_modules");
  const linked = !existsSync(modules);
  try {
    if (linked) symlinkSync(join(PROJECT_ROOT, "node_modules"), modules, "dir");
    return use(dir);
  } finally {
    // Unlink first so that removing the worktree can never reach into the shared node_modules.
    if (linked && existsSync(modules)) unlinkSync(modules);
    git(["worktree", "remove", "--force", dir]);
  }
}

const SPEC: CommandSpec = {
  command: "npm run changes",
  summary: `What the working tree changes compared with a git revision, per stack, offline: resources added, removed, changed in place or replaced, and a loud line for every Elastic IP, NLB or NAT gateway lost. Exits ${ADDRESS_LOSS_EXIT} when an Elastic IP would be destroyed or replaced and the environment does not set allowElasticIpDestroy.`,
  arguments: "<base-ref>",
  examples: ["npm run changes -- origin/main", "npm run changes -- HEAD~1"],
};

function main({ positionals: [ref] }: ParsedCommand): number {
  let sha: string;
  try {
    sha = git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new UsageError(`"${ref}" is not a commit in this repository`);
  }
  console.log(`comparing ${ref} (${sha.slice(0, 10)}) with the working tree\n`);
  if (spawnSync("git", ["diff", "--quiet", sha, "--", "package-lock.json"], { cwd: PROJECT_ROOT }).status !== 0) {
    console.log(`note: package-lock.json differs from ${ref}; both sides are synthesized with today's node_modules\n`);
  }

  try {
    const base = withCheckout(sha, (dir) => synthesize(dir, "base"));
    const head = synthesize(PROJECT_ROOT, "working tree");
    const changes = diffStacks(base, head);
    console.log(formatChanges(changes));
    console.log(
      hasDanger(changes)
        ? "\n!!! at least one Elastic IP, NLB or NAT gateway above would be replaced or destroyed"
        : "\nno Elastic IP, NLB or NAT gateway is replaced or destroyed",
    );
    // The working tree's environments decide: the change that retires a zone carries the
    // allowElasticIpDestroy that permits it. A stack no environment makes any more is refused.
    const configs = new Map<string, StackEnvironment>(
      loadEnvironmentFiles().map((e) => [
        stackNameFor(String(e.input.name)),
        { name: String(e.input.name), file: e.file, allowElasticIpDestroy: e.input.allowElasticIpDestroy === true },
      ]),
    );
    const environmentOf = (stack: string) => configs.get(stack);
    const refused = refusedLosses(lossesInChanges(changes), environmentOf);
    if (refused.length > 0) {
      console.error(`\n${refusalMessage(refused, environmentOf)}`);
      return ADDRESS_LOSS_EXIT;
    }
    return 0;
  } catch (error) {
    if (error instanceof SynthesisError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

runCommand(SPEC, main);

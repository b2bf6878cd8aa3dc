// npm run synth [-- --environments <module> --outdir <dir> --prune]
// Synthesizes every environment into <outdir>/stacks/sip-proxy-<env>/cdk.tf.json.
// Every environment is checked before anything is written. On any failure it prints every
// problem, removes the output of every environment (so nobody deploys or inspects an old
// copy by mistake) and exits 1. A folder of an environment that no longer exists is kept
// with a warning (its AWS resources may still exist); --prune deletes it.
import { readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { buildApp } from "../main";
import { ConfigError, environmentWarnings } from "../config/schema";
import { ConstructError } from "../constructs/construct-error";
import { installLockFiles } from "../stacks/lock-files";
import { PolicyViolationError, policySuppressions, synthesizeChecked } from "../stacks/policy";
import { PROJECT_ROOT } from "./lib/terraform";
import { environmentModule, loadEnvironmentFiles, runCommand, type CommandSpec, type ParsedCommand } from "./lib/cli";
import { orphanedStackOutputs, removeStackOutputs } from "../stacks/stack-outputs";
import { StrandedStateError } from "../stacks/state-guard";
import { resourceAddresses, type StackJson } from "./lib/stack-json";
import { stackNameFor } from "../config/names";

const SPEC: CommandSpec = {
  command: "npm run synth",
  summary:
    "Synthesizes every environment into <outdir>/stacks/sip-proxy-<env>/cdk.tf.json, after checking all of them. On any failure nothing current is left in the output.",
  readsEnvironments: true,
  options: {
    environments: {
      type: "string",
      value: "<module>",
      description: "a module exporting `environments` instead of config/environments (tests)",
    },
    outdir: { type: "string", value: "<dir>", description: "output folder (default cdktf.out)" },
    prune: { type: "boolean", description: "delete stack folders of environments that no longer exist" },
  },
  examples: ["npm run synth", "npm run synth -- --prune", "npm run synth -- --outdir /tmp/out"],
};

function loadEnvironments(modulePath?: string): { inputs: readonly unknown[]; sources: readonly string[] } {
  const files = modulePath ? environmentModule(modulePath) : loadEnvironmentFiles();
  return { inputs: files.map((e) => e.input), sources: files.map((e) => e.file) };
}

function main({ values }: ParsedCommand): number {
  const outdir = resolve((values.outdir as string | undefined) ?? join(PROJECT_ROOT, "cdktf.out"));
  const { inputs, sources } = loadEnvironments(values.environments as string | undefined);
  // Every stack this run would write: on failure none of them may keep an earlier cdk.tf.json.
  const stacks = inputs
    .map((input) => (input as { name?: unknown }).name)
    .filter((name): name is string => typeof name === "string")
    .map(stackNameFor);
  const failed = (lines: string[]): number => {
    for (const line of lines) console.error(line);
    for (const folder of removeStackOutputs(outdir, stacks)) {
      console.error(`removed stale output ${relative(process.cwd(), folder)}`);
    }
    console.error("nothing was synthesized");
    return 1;
  };
  const started = Date.now();
  try {
    const { app, configs } = buildApp(inputs, outdir, sources);
    synthesizeChecked(app);
    const unlocked = installLockFiles(
      outdir,
      configs.map((c) => c.stackName),
    );
    for (const stack of unlocked) {
      console.error(`note: no terraform-locks/${stack}.terraform.lock.hcl; see README "Provider lock files"`);
    }
    for (const cfg of configs) {
      const file = join(outdir, "stacks", cfg.stackName, "cdk.tf.json");
      const count = resourceAddresses(JSON.parse(readFileSync(file, "utf8")) as StackJson).length;
      console.log(
        `synthesized ${cfg.stackName} (${cfg.architecture}, ${count} resources) -> ${relative(process.cwd(), file)}`,
      );
    }
    for (const warning of configs.flatMap(environmentWarnings)) console.error(`warning: ${warning}`);
    const exceptions = policySuppressions(app);
    for (const cfg of configs) {
      const mine = exceptions.filter((e) => e.stack === cfg.stackName);
      if (mine.length > 0) {
        console.log(
          `policy exceptions in ${cfg.stackName}, each with a written reason (README "Security"): ${mine.map((e) => `${e.rule} at ${e.where}`).join("; ")}`,
        );
      }
    }
    reportOrphans(outdir, stacks, values.prune === true);
    console.log(`${configs.length} environment(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (error) {
    if (error instanceof PolicyViolationError) {
      return failed([
        ...error.violations.map((v) => v.message),
        "synth stopped: fix the violations above (or suppress one with a written reason)",
      ]);
    }
    if (error instanceof ConstructError) {
      return failed([error.message, "synth stopped: a construct was given props it cannot build"]);
    }
    if (error instanceof ConfigError || error instanceof StrandedStateError) return failed([error.message]);
    throw error;
  }
}

/**
 * Folders of environments that no longer exist: kept, with a warning, because their AWS
 * resources may still be deployed; deleted only with --prune.
 */
function reportOrphans(outdir: string, stacks: readonly string[], prune: boolean): void {
  for (const folder of orphanedStackOutputs(outdir, stacks)) {
    const shown = relative(process.cwd(), folder);
    if (prune) {
      rmSync(folder, { recursive: true, force: true });
      console.log(`pruned ${shown} (no environment has that name)`);
    } else {
      console.error(
        `warning: ${shown} belongs to no configured environment; its AWS resources may still exist (README "Removing an environment"); npm run synth -- --prune deletes the folder`,
      );
    }
  }
}

runCommand(SPEC, main);

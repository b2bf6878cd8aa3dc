// npm run synth [-- --environments <module> --outdir <dir> --prune]
// Synthesizes every environment into <outdir>/stacks/sip-proxy-<env>/cdk.tf.json.
// Every environment is checked before anything is written. On any failure it prints every
// problem, removes the output of every environment (so nobody deploys or inspects an old
// copy by mistake) and exits 1. A folder of an environment that no longer exists is kept
// with a warning (its AWS resources may still exist); --prune deletes it.
import { readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { buildApp } from "../main";
import { environmentWarnings } from "../config/schema";
import { installLockFiles } from "../stacks/lock-files";
import { policySuppressions, synthesizeChecked } from "../stacks/policy";
import { PROJECT_ROOT } from "./lib/terraform";
import { environmentModule, loadEnvironmentFiles, runCommand, type CommandSpec, type ParsedCommand } from "./lib/cli";
import { orphanedStackOutputs } from "../stacks/stack-outputs";
import { reportFailedSynth, stackNamesOf, badInputLines } from "../stacks/synth-failure";
import { resourceAddresses, type StackJson } from "./lib/stack-json";

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
  const started = Date.now();
  // Every stack this run would write: on failure none of them may keep an earlier cdk.tf.json.
  let stacks: string[] = [];
  try {
    const { inputs, sources } = loadEnvironments(values.environments as string | undefined);
    stacks = stackNamesOf(inputs);
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
    const lines = badInputLines(error);
    if (!lines) throw error;
    reportFailedSynth(lines, outdir, stacks);
    return 1;
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

// npm run synth [-- --environments <module> --outdir <dir>]
// Synthesizes every environment into <outdir>/stacks/sip-proxy-<env>/cdk.tf.json.
// On a bad environment: prints every bad field, removes that environment's stale output
// (so nobody deploys an old copy by mistake) and exits 1 without writing anything.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildApp } from "../main";
import { ConfigError, environmentWarnings } from "../config/schema";
import { ConstructError } from "../constructs/construct-error";
import { installLockFiles } from "../stacks/lock-files";
import { PolicyViolationError, policySuppressions, synthesizeChecked } from "../stacks/policy";
import { PROJECT_ROOT } from "./lib/terraform";
import { resourceAddresses, type StackJson } from "./lib/stack-json";
import { stackNameFor } from "../config/names";

function loadEnvironments(modulePath?: string): readonly unknown[] {
  if (!modulePath) return (require("../config/environments") as { environments: unknown[] }).environments;
  const loaded = require(resolve(modulePath)) as { environments?: unknown[] };
  if (!Array.isArray(loaded.environments)) throw new Error(`${modulePath} does not export an \`environments\` array`);
  return loaded.environments;
}

function main(): number {
  const { values } = parseArgs({
    options: { environments: { type: "string" }, outdir: { type: "string" } },
  });
  const outdir = resolve(values.outdir ?? join(PROJECT_ROOT, "cdktf.out"));
  const inputs = loadEnvironments(values.environments);
  const started = Date.now();
  try {
    const { app, configs } = buildApp(inputs, outdir);
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
    console.log(`${configs.length} environment(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (error) {
    if (error instanceof PolicyViolationError) {
      for (const violation of error.violations) console.error(violation.message);
      console.error("synth stopped: fix the violations above (or suppress one with a written reason)");
      return 1;
    }
    if (error instanceof ConstructError) {
      console.error(error.message);
      console.error("synth stopped: a construct was given props it cannot build");
      return 1;
    }
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    const stale = join(outdir, "stacks", stackNameFor(error.environment));
    if (existsSync(stale)) {
      rmSync(stale, { recursive: true, force: true });
      console.error(`removed stale output ${stale}`);
    }
    console.error("nothing was synthesized");
    return 1;
  }
}

process.exit(main());

// npm run diff -- <env>                          `cdktf diff sip-proxy-<env>` with your AWS credentials
// npm run diff -- <env> --summary <file.md>      plan the synthesized stack and write the PR comment
// npm run diff -- <env> --summary <file.md> --offline   freshly synthesized, mock credentials, no AWS
// The pull-request workflow runs the --summary form after `npm run synth`.
// Exit codes: 0 planned (the comment is written); 1 Terraform or the policy re-check failed (a
// comment saying so is written) or a crash; 2 a usage error (scripts/lib/cli.ts); 3
// (ADDRESS_LOSS_EXIT) planned, the comment is written with a refusal on top: the plan destroys
// or replaces an Elastic IP and the environment does not set allowElasticIpDestroy
// (scripts/lib/address-guard.ts). The workflow posts the comment and fails the job on 1 and 3.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnvironmentFile } from "../config/environments";
import { buildApp } from "../main";
import { parseEnvironments } from "../config/schema";
import { synthesizeChecked } from "../stacks/policy";
import { recheckStackJson } from "./lib/gate";
import { pullRequestComment, renderFailure, type PlanJson } from "./lib/plan-summary";
import {
  OFFLINE_AWS_ENV,
  PROJECT_ROOT,
  SYNTH_DIR,
  initOffline,
  offlineWorkdir,
  terraform,
  terraformEnv,
  type TerraformResult,
} from "./lib/terraform";
import { stackNameFor } from "../config/names";
import { ADDRESS_LOSS_EXIT } from "./lib/address-guard";
import { runCommand, UsageError, type CommandSpec, type ParsedCommand } from "./lib/cli";

/** The stack as the workflow sees it after `npm run synth`; offline, freshly synthesized. */
function workdir(chosen: EnvironmentFile, stack: string, offline: boolean): string {
  if (!offline) return join(SYNTH_DIR, stack);
  const synthDir = mkdtempSync(join(tmpdir(), "sip-proxy-diff-"));
  try {
    synthesizeChecked(buildApp([chosen.input], synthDir, [chosen.file]).app);
    return offlineWorkdir(stack, "diff", join(synthDir, "stacks"));
  } finally {
    rmSync(synthDir, { recursive: true, force: true });
  }
}

function summarize(chosen: EnvironmentFile, file: string, offline: boolean): number {
  const name = String(chosen.input.name);
  const stack = stackNameFor(name);
  const env = terraformEnv(offline ? OFFLINE_AWS_ENV : {});
  if (!offline) {
    // The gate again, on the very JSON about to be planned (`npm run synth` wrote it earlier).
    const problem = recheckStackJson(name, join(SYNTH_DIR, stack, "cdk.tf.json"));
    if (problem) {
      writeFileSync(file, renderFailure(stack, "policy re-check", problem));
      console.error(problem);
      return 1;
    }
  }
  const dir = workdir(chosen, stack, offline);
  const fail = (step: string, result: TerraformResult) => {
    writeFileSync(file, renderFailure(stack, step, result.stdout + result.stderr));
    console.error(result.stdout + result.stderr);
    return 1;
  };

  const init = offline ? initOffline(dir, env) : terraform(["init", "-input=false", "-no-color"], dir, env);
  if (init.status !== 0) return fail("init", init);
  // A speculative plan must not hold the state lock: a deploy running meanwhile would fail.
  const planArgs = ["plan", "-input=false", "-lock=false", "-no-color", "-out=pr.tfplan"];
  const plan = terraform(offline ? [...planArgs, "-refresh=false"] : planArgs, dir, env);
  if (plan.status !== 0) return fail("plan", plan);
  const json = terraform(["show", "-json", "pr.tfplan"], dir, env);
  if (json.status !== 0) return fail("show", json);
  const text = terraform(["show", "-no-color", "pr.tfplan"], dir, env);

  // The comment is written either way, with the refusal on top, so the reviewer sees why.
  const comment = pullRequestComment(
    stack,
    JSON.parse(json.stdout) as PlanJson,
    { name, file: chosen.file, allowElasticIpDestroy: chosen.input.allowElasticIpDestroy === true },
    text.stdout,
  );
  writeFileSync(file, comment.markdown);
  console.log(comment.markdown);
  if (comment.refusal) console.error(comment.refusal);
  return comment.exitCode;
}

const SPEC: CommandSpec = {
  command: "npm run diff",
  summary: `cdktf diff of one environment with your AWS credentials; with --summary, plans the synthesized stack and writes the pull-request comment (with --offline: freshly synthesized, mock credentials, no AWS). Exits ${ADDRESS_LOSS_EXIT} when the plan destroys or replaces an Elastic IP and the environment does not set allowElasticIpDestroy (the comment is still written).`,
  environments: "one",
  options: {
    summary: { type: "string", value: "<file.md>", description: "plan and write the PR comment there" },
    offline: { type: "boolean", description: "with --summary: no AWS (mock credentials, no refresh)" },
  },
  examples: [
    "npm run diff -- dev",
    "npm run diff -- prod --summary plan-summary.md",
    "npm run diff -- dev --summary .scratch/plan-summary.md --offline",
  ],
};

function main({ values, environments: [chosen] }: ParsedCommand): number {
  // Bad input stops here, with its message, before Terraform or cdktf start.
  parseEnvironments([chosen.input], [chosen.file]);
  if (values.summary) return summarize(chosen, values.summary as string, values.offline === true);
  if (values.offline)
    throw new UsageError("--offline only applies with --summary; for a plain offline plan use `npm run plan`");
  const run = spawnSync("npx", ["cdktf", "diff", stackNameFor(String(chosen.input.name))], {
    cwd: PROJECT_ROOT,
    env: terraformEnv(),
    stdio: "inherit",
  });
  return run.status ?? 1;
}

runCommand(SPEC, main);

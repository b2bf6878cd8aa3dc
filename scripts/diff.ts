// npm run diff -- <env>                          `cdktf diff sip-proxy-<env>` with your AWS credentials
// npm run diff -- <env> --summary <file.md>      plan the synthesized stack and write the PR comment
// npm run diff -- <env> --summary <file.md> --offline   freshly synthesized, mock credentials, no AWS
// The pull-request workflow runs the --summary form after `npm run synth`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { environments } from "../config/environments";
import { buildApp } from "../main";
import { synthesizeChecked } from "../stacks/policy";
import { recheckStackJson } from "./lib/gate";
import { renderFailure, renderMarkdown, summarizePlan, type PlanJson } from "./lib/plan-summary";
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

/** The stack as the workflow sees it after `npm run synth`; offline, freshly synthesized. */
function workdir(name: string, stack: string, offline: boolean): string {
  if (!offline) return join(SYNTH_DIR, stack);
  const synthDir = mkdtempSync(join(tmpdir(), "sip-proxy-diff-"));
  try {
    synthesizeChecked(
      buildApp(
        environments.filter((e) => e.name === name),
        synthDir,
      ).app,
    );
    return offlineWorkdir(stack, "diff", join(synthDir, "stacks"));
  } finally {
    rmSync(synthDir, { recursive: true, force: true });
  }
}

function summarize(name: string, file: string, offline: boolean): number {
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
  const dir = workdir(name, stack, offline);
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

  const markdown = renderMarkdown(stack, summarizePlan(JSON.parse(json.stdout) as PlanJson), text.stdout);
  writeFileSync(file, markdown);
  console.log(markdown);
  return 0;
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { summary: { type: "string" }, offline: { type: "boolean", default: false } },
  });
  const names = environments.map((e) => e.name);
  if (positionals.length !== 1 || !names.includes(positionals[0])) {
    console.error(`usage: npm run diff -- <${names.join("|")}> [--summary <file.md> [--offline]]`);
    return 2;
  }
  if (values.summary) return summarize(positionals[0], values.summary, values.offline);
  if (values.offline) {
    console.error("--offline only applies with --summary; for a plain offline plan use `npm run plan`");
    return 2;
  }
  const run = spawnSync("npx", ["cdktf", "diff", stackNameFor(positionals[0])], {
    cwd: PROJECT_ROOT,
    env: terraformEnv(),
    stdio: "inherit",
  });
  return run.status ?? 1;
}

process.exit(main(process.argv.slice(2)));

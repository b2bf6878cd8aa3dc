// npm run plan -- [<env> ...]
// Offline `terraform plan` of freshly synthesized stacks (all environments by default),
// with mock credentials and the provider mirror. Nothing here can reach AWS: the provider
// skips credential, account and region checks, and the stacks have no data sources.
import { relative } from "node:path";
import { buildApp } from "../main";
import { synthesizeChecked } from "../stacks/policy";
import { runCommand, type CommandSpec, type ParsedCommand } from "./lib/cli";
import { OFFLINE_AWS_ENV, initOffline, offlineWorkdir, terraform, terraformEnv } from "./lib/terraform";

const SPEC: CommandSpec = {
  command: "npm run plan",
  summary:
    "Offline terraform plan of freshly synthesized stacks (all environments when none is named): mock credentials, the provider mirror, no AWS call.",
  environments: "any",
  examples: ["npm run plan", "npm run plan -- dev", "npm run plan -- staging prod"],
};

function main({ environments: wanted }: ParsedCommand): number {
  const built = buildApp(
    wanted.map((e) => e.input),
    undefined,
    wanted.map((e) => e.file),
  );
  synthesizeChecked(built.app);
  const configs = built.configs;

  const env = terraformEnv(OFFLINE_AWS_ENV);
  let failed = 0;
  for (const cfg of configs) {
    console.log(`\n=== ${cfg.stackName}: terraform init (offline) ===`);
    const dir = offlineWorkdir(cfg.stackName, "plan");
    const init = initOffline(dir, env);
    if (init.status !== 0) {
      console.error(init.stdout + init.stderr);
      failed++;
      continue;
    }
    console.log(
      `=== ${cfg.stackName}: terraform plan (offline, mock credentials, in ${relative(process.cwd(), dir)}) ===`,
    );
    const plan = terraform(["plan", "-input=false", "-lock=false", "-refresh=false"], dir, env, true);
    if (plan.status !== 0) failed++;
  }
  return failed === 0 ? 0 : 1;
}

runCommand(SPEC, main);

// npm run plan -- [<env> ...]
// Offline `terraform plan` of freshly synthesized stacks (all environments by default),
// with mock credentials and the provider mirror. Nothing here can reach AWS: the provider
// skips credential, account and region checks, and the stacks have no data sources.
import { relative } from "node:path";
import { environments } from "../config/environments";
import { ConfigError } from "../config/schema";
import { buildApp } from "../main";
import { OFFLINE_AWS_ENV, initOffline, offlineWorkdir, terraform, terraformEnv } from "./lib/terraform";

function main(argv: string[]): number {
  const names = environments.map((e) => e.name);
  const unknown = argv.filter((a) => !names.includes(a));
  if (unknown.length > 0) {
    console.error(`unknown environment(s): ${unknown.join(", ")}\nusage: npm run plan -- [${names.join("|")} ...]`);
    return 2;
  }
  const wanted = argv.length > 0 ? argv : names;
  let configs;
  try {
    const built = buildApp(environments.filter((e) => wanted.includes(e.name)));
    built.app.synth();
    configs = built.configs;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }

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

process.exit(main(process.argv.slice(2)));

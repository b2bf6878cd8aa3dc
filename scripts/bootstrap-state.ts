// npm run bootstrap-state -- <env> [--yes]
// Creates the environment's state bucket (versioning, encryption, public access blocked,
// TLS only) with your AWS credentials. The bucket's own Terraform state stays in
// state-bootstrap/<env>.tfstate (git-ignored; keep it, or import the bucket to re-run).
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { environments } from "../config/environments";
import { parseEnvironment } from "../config/schema";
import { lockFileFor } from "../stacks/lock-files";
import { stateBucketConfig } from "./lib/state-bootstrap";
import { PROJECT_ROOT, terraform, terraformEnv } from "./lib/terraform";

function main(argv: string[]): number {
  const name = argv.find((a) => !a.startsWith("-"));
  const input = environments.find((e) => e.name === name);
  if (!input) {
    console.error(`usage: npm run bootstrap-state -- <${environments.map((e) => e.name).join("|")}> [--yes]`);
    return 2;
  }
  const cfg = parseEnvironment(input);
  if (!cfg.stateBackend) {
    console.error(`${cfg.name} keeps local state (no stateBackend): nothing to create`);
    return 2;
  }
  const dir = join(PROJECT_ROOT, "state-bootstrap", cfg.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify(stateBucketConfig(cfg, "5.100.0"), null, 2));
  copyFileSync(lockFileFor(cfg.stackName), join(dir, ".terraform.lock.hcl"));
  const env = terraformEnv();
  const stream = true;
  if (terraform(["init", "-input=false"], dir, env, stream).status !== 0) return 1;
  const apply = ["apply", "-input=false", ...(argv.includes("--yes") ? ["-auto-approve"] : [])];
  return terraform(apply, dir, env, stream).status;
}

process.exit(main(process.argv.slice(2)));

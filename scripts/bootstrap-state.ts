// npm run bootstrap-state -- <env> [--yes]
// Creates the environment's state bucket (versioning, encryption, public access blocked,
// TLS only) with your AWS credentials. The bucket's own Terraform state stays in
// state-bootstrap/<env>.tfstate (git-ignored; keep it, or import the bucket to re-run).
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../config/schema";
import { lockFileFor } from "../stacks/lock-files";
import { stateBucketConfig } from "./lib/state-bootstrap";
import { PROJECT_ROOT, terraform, terraformEnv } from "./lib/terraform";
import { runCommand, UsageError, type CommandSpec, type ParsedCommand } from "./lib/cli";

const SPEC: CommandSpec = {
  command: "npm run bootstrap-state",
  summary:
    "Creates the environment's S3 state bucket (versioning, encryption, public access blocked, TLS only) with your AWS credentials; asks before applying unless --yes.",
  environments: "one",
  options: { yes: { type: "boolean", description: "apply without asking" } },
  examples: ["npm run bootstrap-state -- prod"],
};

function main({ values, environments: [chosen] }: ParsedCommand): number {
  const cfg = parseEnvironment(chosen.input);
  if (!cfg.stateBackend) throw new UsageError(`${cfg.name} keeps local state (no stateBackend): nothing to create`);
  const dir = join(PROJECT_ROOT, "state-bootstrap", cfg.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify(stateBucketConfig(cfg, "5.100.0"), null, 2));
  copyFileSync(lockFileFor(cfg.stackName), join(dir, ".terraform.lock.hcl"));
  const env = terraformEnv();
  const stream = true;
  if (terraform(["init", "-input=false"], dir, env, stream).status !== 0) return 1;
  const apply = ["apply", "-input=false", ...(values.yes ? ["-auto-approve"] : [])];
  return terraform(apply, dir, env, stream).status;
}

runCommand(SPEC, main);

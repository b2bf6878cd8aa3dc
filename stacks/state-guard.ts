// An environment that moved to S3 state while its old local state file still holds resources:
// `terraform init` without `-migrate-state` would then start from an empty state, plan every
// resource anew and allocate new Elastic IPs before failing on the old names. Every command
// of the project synthesizes first, so refusing here stops diff, deploy and the PR plan alike.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EnvironmentConfig } from "../config/schema";

export const PROJECT_DIR = resolve(__dirname, "..");

/** The local state file an environment without stateBackend uses (see SipProxyStack). */
export const localStateFile = (stack: string, root = PROJECT_DIR) => join(root, `terraform.${stack}.tfstate`);

export class StrandedStateError extends Error {
  override name = "StrandedStateError";
}

/** Throws when an S3-backed environment still has a local state file with resources in it. */
export function checkNoStrandedLocalState(configs: readonly EnvironmentConfig[], root = PROJECT_DIR): void {
  for (const cfg of configs) {
    const file = localStateFile(cfg.stackName, root);
    if (!cfg.stateBackend || !existsSync(file)) continue;
    const resources = (JSON.parse(readFileSync(file, "utf8")) as { resources?: unknown[] }).resources ?? [];
    if (resources.length === 0) continue;
    throw new StrandedStateError(
      `${cfg.name} now keeps its state in s3://${cfg.stateBackend.bucket}/${cfg.stateBackend.key}, but ${file} still holds ${resources.length} resource(s). ` +
        `Migrate it first (README "Moving local state to S3"): cd cdktf.out/stacks/${cfg.stackName} && terraform init -migrate-state, ` +
        `check that \`terraform state pull\` shows the same serial, then move ${file} out of the project.`,
    );
  }
}

// Reading synthesized stacks: the same JSON that `cdktf deploy` applies.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../main";

export interface StackJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly locals?: Record<string, unknown>;
  readonly output?: Record<string, { value: unknown; description?: string }>;
  readonly terraform?: Record<string, unknown>;
  readonly provider?: Record<string, unknown[]>;
}

/** Synthesizes the given environment inputs into a temporary folder and returns each stack's JSON. */
export function synthesizeToMemory(inputs: readonly unknown[]): Map<string, StackJson> {
  const outdir = mkdtempSync(join(tmpdir(), "sip-proxy-synth-"));
  try {
    const { app, configs } = buildApp(inputs, outdir);
    app.synth();
    return new Map(
      configs.map((cfg) => [
        cfg.name,
        JSON.parse(readFileSync(join(outdir, "stacks", cfg.stackName, "cdk.tf.json"), "utf8")) as StackJson,
      ]),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Terraform addresses (`type.name`) of every resource in a stack, sorted. */
export function resourceAddresses(stack: StackJson): string[] {
  return Object.entries(stack.resource ?? {})
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

/**
 * The first-boot script exactly as the instance receives it, with Terraform references
 * left as `${...}` expressions (Terraform's `$${` / `%%{` escapes undone).
 */
export function deployedUserData(stack: StackJson): string {
  const entry = Object.entries(stack.locals ?? {}).find(([name]) => name.endsWith("user_data"));
  if (!entry || typeof entry[1] !== "string") throw new Error("stack has no user_data local");
  return entry[1].replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

/** The kamailio.cfg embedded in a user-data script. */
export function embeddedKamailioConfig(userData: string): string {
  const match = /<<'KAMAILIO_CFG'\n([\s\S]*?)\nKAMAILIO_CFG\n/.exec(userData);
  if (!match) throw new Error("user-data does not embed a kamailio.cfg heredoc");
  return match[1];
}

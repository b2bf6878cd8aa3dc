// Reading synthesized stacks: the same JSON that `cdktf deploy` applies.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../main";
import { synthesizeChecked } from "../../stacks/policy";
import type { EnvironmentConfig } from "../../config/schema";

export interface StackJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  /** Data sources: read at every plan, kept in state as `data.<type>.<name>`. */
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly locals?: Record<string, unknown>;
  readonly output?: Record<string, { value: unknown; description?: string }>;
  readonly terraform?: Record<string, unknown>;
  readonly provider?: Record<string, unknown[]>;
}

export interface SynthesizedStack {
  readonly cfg: EnvironmentConfig;
  /** The stack's folder, holding cdk.tf.json (gone once `use` returns). */
  readonly dir: string;
  readonly json: StackJson;
}

/**
 * Synthesizes the given environment inputs into a temporary folder, hands each stack to
 * `use`, and removes the folder afterwards, whatever happens.
 */
export function withSynthesizedStacks<T>(inputs: readonly unknown[], use: (stacks: SynthesizedStack[]) => T): T {
  const outdir = mkdtempSync(join(tmpdir(), "sip-proxy-synth-"));
  try {
    const { app, configs } = buildApp(inputs, outdir);
    // The policy gate, with its violations as a PolicyViolationError (commands print them).
    synthesizeChecked(app);
    return use(
      configs.map((cfg) => {
        const dir = join(outdir, "stacks", cfg.stackName);
        return { cfg, dir, json: JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as StackJson };
      }),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Each environment's synthesized JSON, by environment name. */
export function synthesizeToMemory(inputs: readonly unknown[]): Map<string, StackJson> {
  return withSynthesizedStacks(inputs, (stacks) => new Map(stacks.map((s) => [s.cfg.name, s.json])));
}

/** Terraform addresses (`type.name`) of every resource in a stack, sorted. */
export function resourceAddresses(stack: StackJson): string[] {
  return Object.entries(stack.resource ?? {})
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

/**
 * What `terraform state list` shows after an apply: every resource, and every data source as
 * `data.<type>.<name>` (Terraform keeps their last read in state), sorted.
 */
export function stateAddresses(stack: StackJson): string[] {
  const data = Object.entries(stack.data ?? {}).flatMap(([type, byName]) =>
    Object.keys(byName).map((name) => `data.${type}.${name}`),
  );
  return [...resourceAddresses(stack), ...data].sort();
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

// The deploy rehearsal: each synthesized stack applied by real Terraform and the real
// hashicorp/aws provider to moto on loopback. The emulator's endpoints, mock credentials and
// skip flags live only in an override file in a scratch copy and in environment variables;
// the cdk.tf.json an operator deploys never carries them.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OFFLINE_AWS_ENV, SCRATCH_DIR, terraform, terraformEnv, type TerraformResult } from "./terraform";

/**
 * Every service the stacks (and the state bootstrap) call, pointed at the emulator. Terraform
 * provider docs, "Custom Service Endpoints": each key of the `endpoints` block overrides one
 * service's URL.
 */
export const EMULATED_SERVICES = [
  "autoscaling",
  "cloudwatch",
  "ec2",
  "elb",
  "elbv2",
  "iam",
  "kms",
  "logs",
  "route53",
  "s3",
  "sns",
  "ssm",
  "sts",
] as const;

/** The pager endpoint given to rehearsed applies: loopback, so nothing can leave this machine. */
export const REHEARSAL_PAGER_ENDPOINT = "https://127.0.0.1:9/rehearsal-pager";

export function emulatorOverride(endpoint: string, statePath = "rehearsal.tfstate"): object {
  return {
    provider: {
      aws: {
        endpoints: [Object.fromEntries(EMULATED_SERVICES.map((s) => [s, endpoint]))],
        skip_credentials_validation: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
        skip_requesting_account_id: false,
        s3_use_path_style: true,
      },
    },
    terraform: { backend: { local: { path: statePath } } },
  };
}

/** Environment for Terraform against the emulator: mock credentials, plugin cache, no version check. */
export function rehearsalEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const pluginCache = join(SCRATCH_DIR, "plugin-cache");
  mkdirSync(pluginCache, { recursive: true });
  return terraformEnv({
    ...OFFLINE_AWS_ENV,
    AWS_REGION: "us-east-1",
    // Reuses the provider unpacked by the first init instead of copying 700 MB per stack.
    TF_PLUGIN_CACHE_DIR: pluginCache,
    TF_VAR_critical_alerts_https_endpoint: REHEARSAL_PAGER_ENDPOINT,
    ...extra,
  });
}

/** A scratch copy of a synthesized stack with the emulator override beside it. */
export function rehearsalWorkdir(stackJsonFile: string, stack: string, endpoint: string): string {
  const dir = join(SCRATCH_DIR, "rehearsal", stack);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(stackJsonFile, join(dir, "cdk.tf.json"));
  writeFileSync(join(dir, "emulator_override.tf.json"), JSON.stringify(emulatorOverride(endpoint), null, 2));
  return dir;
}

/** Runs Terraform and throws with its output when it fails. */
export function tf(args: string[], dir: string, env: NodeJS.ProcessEnv): TerraformResult {
  const result = terraform([...args], dir, env);
  if (result.status !== 0) {
    throw new Error(`terraform ${args.join(" ")} failed in ${dir}:\n${(result.stdout + result.stderr).slice(-4000)}`);
  }
  return result;
}

/** One attribute a plan would change: `address` + `path`, Terraform's values before and after. */
export interface AttributeChange {
  readonly address: string;
  /** Terraform's actions for the resource, e.g. "update" or "delete,create". */
  readonly actions: string;
  /** Dotted attribute path with list indices, e.g. `launch_template[0].version`. */
  readonly path: string;
  readonly before: unknown;
  /** The planned value; "(known after apply)" where Terraform cannot know it yet. */
  readonly after: unknown;
}

export const UNKNOWN = "(known after apply)";

interface PlanChange {
  readonly address: string;
  readonly mode?: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    readonly after_unknown?: unknown;
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * Terraform's JSON plan lists a set's elements in no particular order on each side, so
 * comparing by index pairs unrelated elements. Objects are paired with the element of the
 * other side that shares the most scalar values (e.g. the same subnet_id); lists of scalars
 * keep their order.
 */
function alignByContent(before: unknown[], after: unknown[]): unknown[] {
  if (!before.every(isObject) || !after.every(isObject) || before.length === 0) return before;
  const score = (x: Record<string, unknown>, y: Record<string, unknown>) =>
    Object.keys(x).filter((k) => typeof x[k] !== "object" && x[k] !== "" && x[k] === y[k]).length;
  const left = [...(before as Record<string, unknown>[])];
  const aligned: unknown[] = [];
  for (const element of after as Record<string, unknown>[]) {
    if (left.length === 0) break;
    let best = 0;
    for (let i = 1; i < left.length; i++) if (score(left[i], element) > score(left[best], element)) best = i;
    aligned.push(left.splice(best, 1)[0]);
  }
  return [...aligned, ...left];
}

/**
 * Leaf differences between Terraform's `before` and `after` (with `after_unknown`) of a
 * resource change. A list or map that differs in shape is compared element by element; an
 * element present on one side only is reported whole.
 */
function leafChanges(
  before: unknown,
  after: unknown,
  unknown: unknown,
  path: string,
  out: [string, unknown, unknown][],
) {
  if (unknown === true) {
    out.push([path, before ?? null, UNKNOWN]);
    return;
  }
  if (Array.isArray(before) || Array.isArray(after)) {
    const a = Array.isArray(after) ? after : [];
    const u = Array.isArray(unknown) ? unknown : [];
    const b = alignByContent(Array.isArray(before) ? before : [], a);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length) out.push([`${path}[${i}]`, b[i], null]);
      else if (i >= b.length) out.push([`${path}[${i}]`, null, u[i] === true ? UNKNOWN : a[i]]);
      else leafChanges(b[i], a[i], u[i], `${path}[${i}]`, out);
    }
    return;
  }
  if (isObject(before) || isObject(after)) {
    const b = isObject(before) ? before : {};
    const a = isObject(after) ? after : {};
    const u = isObject(unknown) ? unknown : {};
    for (const key of [...new Set([...Object.keys(b), ...Object.keys(a), ...Object.keys(u)])].sort()) {
      leafChanges(b[key], a[key], u[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  if (JSON.stringify(before ?? null) !== JSON.stringify(after ?? null)) out.push([path, before ?? null, after ?? null]);
}

/** Every attribute a plan (`terraform show -json`) would change, by address and path. */
export function attributeChanges(plan: { resource_changes?: readonly PlanChange[] }): AttributeChange[] {
  const changes: AttributeChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === "data") continue;
    const actions = rc.change.actions.join(",");
    if (actions === "no-op" || actions === "read") continue;
    const leaves: [string, unknown, unknown][] = [];
    leafChanges(rc.change.before, rc.change.after, rc.change.after_unknown, "", leaves);
    if (leaves.length === 0) changes.push({ address: rc.address, actions, path: "", before: null, after: null });
    for (const [path, before, after] of leaves) changes.push({ address: rc.address, actions, path, before, after });
  }
  return changes;
}

/**
 * A difference between what the emulator reports after an apply and what the stack asks for,
 * accepted because the emulator (not the stack) is known to cause it. Keyed by resource type
 * and name pattern plus attribute path, with the values expected on both sides; `citation`
 * names the emulator source or documentation that explains it.
 */
export interface EmulatorArtefact {
  /** Resource address pattern, e.g. /^aws_launch_template\.proxy_template$/. */
  readonly address: RegExp;
  readonly path: RegExp;
  /** The value the emulator reported (state); a function for values that vary per run. */
  readonly before: (value: unknown) => boolean;
  /** What the configuration plans instead. */
  readonly after: (value: unknown) => boolean;
  readonly citation: string;
}

export interface ReplanVerdict {
  /** Changes explained by an artefact, or by Terraform recomputing after an explained change. */
  readonly accepted: readonly (AttributeChange & { readonly because: string })[];
  /** Anything else: a real difference between stack and deployment, or a new emulator gap. */
  readonly unexplained: readonly AttributeChange[];
}

interface ConfigResource {
  readonly address: string;
  readonly expressions?: Record<string, unknown>;
}

/** Resource addresses an expression subtree of the plan's configuration refers to. */
function referencesIn(expression: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(expression)) for (const e of expression) referencesIn(e, out);
  else if (isObject(expression)) {
    for (const [key, value] of Object.entries(expression)) {
      if (key === "references" && Array.isArray(value)) {
        for (const ref of value as string[]) {
          const [type, name] = ref.split(".");
          if (type?.startsWith("aws_") && name) out.add(`${type}.${name}`);
        }
      } else referencesIn(value, out);
    }
  }
  return out;
}

interface PlanJsonForReplan {
  readonly resource_changes?: readonly (PlanChange & {
    readonly change: PlanChange["change"] & { readonly replace_paths?: readonly (string | number)[][] };
  })[];
  readonly configuration?: { readonly root_module?: { readonly resources?: readonly ConfigResource[] } };
}

const topAttribute = (path: string) => path.split(/[.[]/)[0];

/**
 * Sorts a re-plan's changes into accepted and unexplained. A change is accepted when:
 * - it matches an artefact (address, path, before and after); or
 * - its planned value is unknown and the attribute's expression refers to a resource whose
 *   own changes are all accepted (Terraform cannot know a value that depends on a resource it
 *   will update or replace); or
 * - its planned value is unknown, the attribute is not set in the configuration (computed by
 *   the provider), and the same resource has an accepted artefact change; or
 * - the resource is replaced, every replace path of it is accepted, and the change is part of
 *   building the new object (a replaced resource differs from the old one everywhere).
 * Everything else is unexplained, and the rehearsal fails on it.
 */
export function classifyReplan(plan: PlanJsonForReplan, artefacts: readonly EmulatorArtefact[]): ReplanVerdict {
  const changes = attributeChanges(plan);
  const config = new Map(
    (plan.configuration?.root_module?.resources ?? []).map((r) => [r.address, r.expressions ?? {}]),
  );
  const replacePaths = new Map(
    (plan.resource_changes ?? []).map((rc) => [
      rc.address,
      (rc.change.replace_paths ?? []).map((steps) =>
        steps.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join(""),
      ),
    ]),
  );
  const reason = new Map<AttributeChange, string>();
  for (const change of changes) {
    const artefact = artefacts.find(
      (a) =>
        a.address.test(change.address) && a.path.test(change.path) && a.before(change.before) && a.after(change.after),
    );
    if (artefact) reason.set(change, artefact.citation);
  }
  const settled = (address: string) =>
    changes.filter((c) => c.address === address).every((c) => reason.has(c)) &&
    changes.some((c) => c.address === address);
  // Fixpoint: accepting one resource's changes can explain its dependants' unknown values.
  for (let progress = true; progress; ) {
    progress = false;
    for (const change of changes) {
      if (reason.has(change)) continue;
      const expressions = config.get(change.address) ?? {};
      const attribute = topAttribute(change.path);
      let because: string | undefined;
      if (change.after === UNKNOWN && attribute in expressions) {
        const upstream = [...referencesIn(expressions[attribute])].find((r) => r !== change.address && settled(r));
        if (upstream) because = `depends on ${upstream}, which changes for accepted reasons`;
      } else if (change.after === UNKNOWN) {
        const own = changes.find((c) => c.address === change.address && reason.has(c) && c.after !== UNKNOWN);
        if (own) because = `computed by the provider after the accepted change of ${own.path}`;
      }
      const replaced = change.actions === "delete,create" || change.actions === "create,delete";
      if (!because && replaced) {
        const paths = replacePaths.get(change.address) ?? [];
        const forced = changes.filter((c) => c.address === change.address && paths.includes(c.path));
        if (paths.length > 0 && forced.length === paths.length && forced.every((c) => reason.has(c))) {
          because = `part of the replacement forced by ${paths.join(", ")}, which is accepted`;
        }
      }
      if (because) {
        reason.set(change, because);
        progress = true;
      }
    }
  }
  return {
    accepted: changes.filter((c) => reason.has(c)).map((c) => ({ ...c, because: reason.get(c)! })),
    unexplained: changes.filter((c) => !reason.has(c)),
  };
}

/** Runs Terraform without blocking (environments rehearse side by side); each output line to `onLine`. */
export function tfAsync(
  args: string[],
  dir: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void = () => undefined,
): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.TERRAFORM_BIN ?? "terraform", args, { cwd: dir, env });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (error) =>
      reject(new Error(`could not run terraform: ${error.message}. Install Terraform >= 1.10 or set TERRAFORM_BIN.`)),
    );
    child.on("close", (status) => resolve({ status: status ?? 1, stdout, stderr }));
  });
}

/** tfAsync that throws with Terraform's output on failure. */
export async function tfOk(
  args: string[],
  dir: string,
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<TerraformResult> {
  const result = await tfAsync(args, dir, env, onLine);
  if (result.status !== 0) {
    throw new Error(`terraform ${args[0]} failed in ${dir}:\n${(result.stdout + result.stderr).slice(-4000)}`);
  }
  return result;
}

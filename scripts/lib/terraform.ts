// Running Terraform against synthesized stacks without an AWS account. The synthesized
// cdk.tf.json stays production-pure: mock credentials and skip flags are added only to a
// scratch copy, as an override file, and through environment variables.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const PROJECT_ROOT = resolve(__dirname, "..", "..");
export const SCRATCH_DIR = join(PROJECT_ROOT, ".scratch");
export const SYNTH_DIR = join(PROJECT_ROOT, "cdktf.out", "stacks");
/** Where this project's machines keep the hashicorp/aws provider (see DESIGN.md). */
export const PROVIDER_MIRROR = process.env.SIP_PROXY_PROVIDER_MIRROR ?? "/opt/tf-plugins";
const TERRAFORM = process.env.TERRAFORM_BIN ?? "terraform";

/**
 * Environment for every Terraform call: the project's own CLI config (the machine's
 * TF_CLI_CONFIG_FILE may point at a missing file) and no version-check calls. With a local
 * provider mirror, providers come only from it.
 */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  mkdirSync(SCRATCH_DIR, { recursive: true });
  const cliConfig = join(SCRATCH_DIR, "terraformrc");
  const mirror = existsSync(PROVIDER_MIRROR)
    ? `provider_installation {\n  filesystem_mirror {\n    path    = "${PROVIDER_MIRROR}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n`
    : "";
  // Test layers run side by side and call this at once: a reader must never see a half-written
  // file (Terraform would then look for providers on the registry), so write only on change,
  // through a rename.
  if (!existsSync(cliConfig) || readFileSync(cliConfig, "utf8") !== mirror) {
    const partial = `${cliConfig}.${process.pid}`;
    writeFileSync(partial, mirror);
    renameSync(partial, cliConfig);
  }
  return { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", ...extra };
}

/** Mock credentials for offline plans; never real ones, never written into a stack. */
export const OFFLINE_AWS_ENV: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: "AKIAOFFLINEMOCK00000",
  AWS_SECRET_ACCESS_KEY: "offline-mock-secret",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_PROFILE: "",
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  // The pager endpoint is a required variable; offline plans get a placeholder that cannot
  // resolve (.invalid, RFC 2606), never a real one.
  TF_VAR_critical_alerts_https_endpoint: "https://pager.offline.invalid/",
};

/** Nothing listens here (port 9, discard, on loopback): a Route 53 call offline fails at once. */
export const OFFLINE_ROUTE53_ENDPOINT = "http://127.0.0.1:9";

const OFFLINE_OVERRIDE = {
  provider: {
    aws: {
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
      // Terraform reads data sources at every plan, -refresh=false or not. Should a Route 53
      // lookup survive into an offline copy, it fails on loopback instead of reaching AWS.
      endpoints: [{ route53: OFFLINE_ROUTE53_ENDPOINT }],
    },
  },
  // State of an offline run is throwaway: never touch a configured S3 backend.
  terraform: { backend: { local: { path: "offline.tfstate" } } },
};

export interface TerraformResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv, stream = false): TerraformResult {
  const result = spawnSync(TERRAFORM, args, {
    cwd,
    env,
    encoding: "utf8",
    stdio: stream ? ["ignore", "inherit", "inherit"] : "pipe",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) {
    throw new Error(
      `could not run ${TERRAFORM}: ${result.error.message}. Install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install) or set TERRAFORM_BIN.`,
    );
  }
  return { status: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** Copies a synthesized stack into a scratch folder with the offline override next to it. */
export function offlineWorkdir(stack: string, label = "offline", synthDir = SYNTH_DIR): string {
  const folder = join(synthDir, stack);
  if (!existsSync(join(folder, "cdk.tf.json"))) {
    throw new Error(`${join(folder, "cdk.tf.json")} does not exist; run \`npm run synth\` first`);
  }
  return offlineWorkdirFromFolder(folder, stack, label);
}

/** `terraform init` for an offline work dir: local backend, providers from the mirror. */
export function initOffline(dir: string, env: NodeJS.ProcessEnv, stream = false): TerraformResult {
  return terraform(["init", "-input=false", "-no-color", "-reconfigure"], dir, env, stream);
}

/**
 * Data sources that only an AWS account can answer, and the stand-in value of each attribute
 * the stacks use. Terraform reads data sources at every plan (-refresh=false does not skip
 * them), so an offline copy of a stack replaces each reference with its stand-in and drops
 * the data block: the plan then shows the stand-in (e.g. the record's zone_id) where a real
 * plan shows the looked-up value, and nothing else differs.
 */
export const OFFLINE_DATA_STANDINS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // Route 53 zone ids are "Z" and letters and digits; this one says what it is.
  aws_route53_zone: { zone_id: "Z0OFFLINESTANDIN" },
};

/** A synthesized stack's JSON with every OFFLINE_DATA_STANDINS data source replaced by its stand-ins. */
export function withOfflineStandIns(stack: Record<string, unknown>): Record<string, unknown> {
  const data = (stack.data ?? {}) as Record<string, Record<string, unknown>>;
  const replaced = Object.keys(data).filter((type) => type in OFFLINE_DATA_STANDINS);
  if (replaced.length === 0) return stack;
  const reference = new RegExp(`\\$\\{data\\.(${replaced.join("|")})\\.([A-Za-z0-9_-]+)\\.([A-Za-z0-9_]+)\\}`, "g");
  const rewrite = (value: unknown): unknown => {
    if (typeof value === "string") {
      return value.replace(reference, (whole, type: string, _name: string, attribute: string) =>
        standInFor(type, attribute, whole),
      );
    }
    if (Array.isArray(value)) return value.map(rewrite);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    }
    return value;
  };
  const rest = Object.fromEntries(Object.entries(data).filter(([type]) => !replaced.includes(type)));
  const others = Object.fromEntries(Object.entries(stack).filter(([key]) => key !== "data"));
  const result = rewrite(others) as Record<string, unknown>;
  return Object.keys(rest).length > 0 ? { ...result, data: rest } : result;
}

/** The stand-in of `data.<type>.<name>.<attribute>`; throws for an attribute without one. */
function standInFor(type: string, attribute: string, reference: string): string {
  const standIn = OFFLINE_DATA_STANDINS[type]?.[attribute];
  if (standIn === undefined) {
    throw new Error(`${reference}: no offline stand-in for ${type}.${attribute} (scripts/lib/terraform.ts)`);
  }
  return standIn;
}

/**
 * withOfflineStandIns for HCL (an `npm run export-hcl` folder): drops each top-level data
 * block of a type with stand-ins and replaces its references, bare (`data.t.n.a`, which the
 * exporter writes) or interpolated (`"${data.t.n.a}"`).
 */
export function withOfflineStandInsHcl(text: string): string {
  const types = Object.keys(OFFLINE_DATA_STANDINS).join("|");
  const block = new RegExp(`^data "(${types})" "[^"]+" \\{\\n[\\s\\S]*?^\\}\\n`, "gm");
  const interpolated = new RegExp(`\\$\\{data\\.(${types})\\.[A-Za-z0-9_-]+\\.([A-Za-z0-9_]+)\\}`, "g");
  const bare = new RegExp(`\\bdata\\.(${types})\\.[A-Za-z0-9_-]+\\.([A-Za-z0-9_]+)\\b`, "g");
  return text
    .replace(block, "")
    .replace(interpolated, (whole, type: string, attribute: string) => standInFor(type, attribute, whole))
    .replace(bare, (whole, type: string, attribute: string) => `"${standInFor(type, attribute, whole)}"`);
}

/** Like offlineWorkdir, for a folder of Terraform files (an HCL export, for instance). */
export function offlineWorkdirFromFolder(folder: string, stack: string, label: string): string {
  const dir = join(SCRATCH_DIR, label, stack);
  mkdirSync(dir, { recursive: true });
  const isConfig = (name: string) => name.endsWith(".tf") || name.endsWith(".tf.json");
  for (const name of readdirSync(dir).filter(isConfig)) rmSync(join(dir, name));
  rmSync(join(dir, "offline.tfstate"), { force: true });
  for (const name of readdirSync(folder).filter(isConfig)) {
    if (name.endsWith(".tf.json")) {
      const stack = JSON.parse(readFileSync(join(folder, name), "utf8")) as Record<string, unknown>;
      writeFileSync(join(dir, name), JSON.stringify(withOfflineStandIns(stack), null, 2));
    } else writeFileSync(join(dir, name), withOfflineStandInsHcl(readFileSync(join(folder, name), "utf8")));
  }
  writeFileSync(join(dir, "offline_override.tf.json"), JSON.stringify(OFFLINE_OVERRIDE, null, 2));
  return dir;
}

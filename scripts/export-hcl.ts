// npm run export-hcl -- <env> [--out <dir>]
// Writes the environment's stack as plain Terraform (HCL) into hcl/sip-proxy-<env>/ (or
// <dir>): the way out for a team leaving CDKTF, and a readable copy for review. The export
// is checked with `terraform validate` before this reports success. See scripts/lib/hcl.ts
// for why this is not `cdktf synth --hcl`.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { stackToHcl, type ProviderSchemas } from "./lib/hcl";
import { resourceAddresses, withSynthesizedStacks } from "./lib/stack-json";
import {
  PROJECT_ROOT,
  SYNTH_DIR,
  initOffline,
  offlineWorkdirFromFolder,
  terraform,
  terraformEnv,
} from "./lib/terraform";
import { stackNameFor } from "../config/names";
import { runCommand, UsageError, type CommandSpec, type ParsedCommand } from "./lib/cli";

const FILES = ["versions.tf", "providers.tf", "variables.tf", "locals.tf", "main.tf", "outputs.tf"];

/** A step of the export failed (terraform init, fmt or validate): its output says why. */
class ExportError extends Error {}

function fail(message: string): never {
  throw new ExportError(message);
}

function exportStack(input: unknown, name: string, outDir: string): string {
  return withSynthesizedStacks([input], ([{ cfg, dir: synthesized, json: stack }]) => {
    const stackName = cfg.stackName;

    // The provider's schema tells nested blocks from arguments; init reads it from the mirror.
    const env = terraformEnv();
    const schemaDir = offlineWorkdirFromFolder(synthesized, stackName, "export-hcl-schema");
    const init = initOffline(schemaDir, env);
    if (init.status !== 0) fail(`terraform init failed:\n${init.stdout}${init.stderr}`);
    const schema = terraform(["providers", "schema", "-json"], schemaDir, env);
    if (schema.status !== 0) fail(`terraform providers schema failed:\n${schema.stderr}`);

    // A local state path is relative to the stack's folder in cdktf.out; keep pointing at
    // the same file from the export, so the exported code takes over the existing state.
    const cdktfStackDir = join(SYNTH_DIR, stackName);
    const files = stackToHcl(stack, JSON.parse(schema.stdout) as ProviderSchemas, {
      header: `# Exported by \`npm run export-hcl -- ${name}\` from the CDKTF stack ${stackName}.`,
      localStatePath: (path) => relative(outDir, resolve(cdktfStackDir, path)),
    });
    mkdirSync(outDir, { recursive: true });
    for (const file of FILES) rmSync(join(outDir, file), { force: true });
    for (const [file, text] of files) writeFileSync(join(outDir, file), text);
    const fmt = terraform(["fmt", "-list=false", outDir], PROJECT_ROOT, env);
    if (fmt.status !== 0) fail(`terraform fmt rejected the export:\n${fmt.stderr}`);

    const check = offlineWorkdirFromFolder(outDir, stackName, "export-hcl-validate");
    const checkInit = initOffline(check, env);
    if (checkInit.status !== 0) fail(`terraform init of the export failed:\n${checkInit.stdout}${checkInit.stderr}`);
    const validate = terraform(["validate", "-no-color"], check, env);
    if (validate.status !== 0) fail(`the export does not validate:\n${validate.stdout}${validate.stderr}`);

    const count = resourceAddresses(stack).length;
    return `exported ${stackName} (${count} resources) -> ${relative(process.cwd(), outDir) || "."}/{${[...files.keys()].join(",")}}; terraform validate: ok`;
  });
}

const SPEC: CommandSpec = {
  command: "npm run export-hcl",
  summary:
    "Writes an environment's stack as plain Terraform (HCL) files that take over its state, and validates them offline: the way out of CDKTF.",
  environments: "one",
  options: { out: { type: "string", value: "<dir>", description: "where to write (default hcl/sip-proxy-<env>)" } },
  examples: ["npm run export-hcl -- dev", "npm run export-hcl -- prod --out /tmp/prod-hcl"],
};

function main({ values, environments: [env] }: ParsedCommand): number {
  const name = String(env.input.name);
  const outDir = resolve((values.out as string | undefined) ?? join(PROJECT_ROOT, "hcl", stackNameFor(name)));
  if (existsSync(join(outDir, "cdk.tf.json"))) {
    throw new UsageError(`${outDir} holds a cdk.tf.json; Terraform would read both. Choose another folder.`);
  }
  try {
    console.log(exportStack(env.input, name, outDir));
    return 0;
  } catch (error) {
    if (error instanceof ExportError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

runCommand(SPEC, main);

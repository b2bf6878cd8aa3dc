// npm run export-hcl -- <env> [--out <dir>]
// Writes the environment's stack as plain Terraform (HCL) into hcl/sip-proxy-<env>/ (or
// <dir>): the way out for a team leaving CDKTF, and a readable copy for review. The export
// is checked with `terraform validate` before this reports success. See scripts/lib/hcl.ts
// for why this is not `cdktf synth --hcl`.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { environments } from "../config/environments";
import { ConfigError } from "../config/schema";
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

const FILES = ["versions.tf", "providers.tf", "variables.tf", "locals.tf", "main.tf", "outputs.tf"];

function fail(message: string): never {
  throw new Error(message);
}

function exportStack(name: string, outDir: string): string {
  const input = environments.filter((e) => e.name === name);
  return withSynthesizedStacks(input, ([{ cfg, dir: synthesized, json: stack }]) => {
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

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: "string" } },
  });
  const names = environments.map((e) => e.name);
  if (positionals.length !== 1 || !names.includes(positionals[0])) {
    console.error(`usage: npm run export-hcl -- <${names.join("|")}> [--out <dir>]   (default hcl/sip-proxy-<env>)`);
    return 2;
  }
  const name = positionals[0];
  const outDir = resolve(values.out ?? join(PROJECT_ROOT, "hcl", stackNameFor(name)));
  if (existsSync(join(outDir, "cdk.tf.json"))) {
    console.error(`${outDir} holds a cdk.tf.json; Terraform would read both. Choose another folder.`);
    return 2;
  }
  try {
    console.log(exportStack(name, outDir));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    console.error((error as Error).message);
    return 1;
  }
}

process.exit(main(process.argv.slice(2)));

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { environments } from "../../config/environments";
import { buildApp } from "../../main";
import { stackToHcl } from "../../scripts/lib/hcl";
import {
  OFFLINE_AWS_ENV,
  PROJECT_ROOT,
  initOffline,
  offlineWorkdir,
  offlineWorkdirFromFolder,
  terraform,
  terraformEnv,
} from "../../scripts/lib/terraform";
import { requireTool } from "../tools/require-tool";
import { stackNameFor } from "../../config/names";
import { parseEnvironment } from "../../config/schema";

// dev is the single architecture, prod the load-balanced one with a NAT gateway per zone.
const EXPORTED = ["dev", "prod"];

describe("npm run export-hcl", () => {
  const env = terraformEnv(OFFLINE_AWS_ENV);
  const outdir = mkdtempSync(join(tmpdir(), "export-hcl-"));
  beforeAll(() => requireTool("terraform"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /** What Terraform would do with a configuration, from scratch: the plan minus timestamps. */
  function planOf(dir: string): { planned_values: unknown; output_changes: unknown } {
    const init = initOffline(dir, env);
    if (init.status !== 0) throw new Error(`terraform init failed:\n${init.stdout}${init.stderr}`);
    const plan = terraform(
      ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-out=t.tfplan"],
      dir,
      env,
    );
    if (plan.status !== 0) throw new Error(`terraform plan failed:\n${plan.stderr}`);
    const { planned_values, output_changes } = JSON.parse(terraform(["show", "-json", "t.tfplan"], dir, env).stdout);
    return { planned_values, output_changes };
  }

  /** Outputs of a provider-less configuration, as Terraform evaluates them. */
  function evaluate(files: Record<string, string>): Record<string, { value: unknown }> {
    const dir = mkdtempSync(join(outdir, "locals-"));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const apply = terraform(["apply", "-auto-approve", "-input=false", "-no-color"], dir, env);
    if (apply.status !== 0) throw new Error(apply.stderr);
    return JSON.parse(terraform(["output", "-json"], dir, env).stdout);
  }

  it("writes strings that Terraform reads back exactly as their JSON form", () => {
    const locals = {
      quotes_and_lines: 'say "hi"\nand a second line',
      quote_inside_expression: '${upper("a\\"b")} and "literal"',
      escapes: "$${not interpolated} %%{not a directive} 100% $5 \\ back",
      control: "tab\there bell\u0007",
      sole_expression: '${jsonencode({ a = 1, b = ["x"] })}',
      heredoc: 'line one\n${"two"}\n  "three"\n',
      directive: "%{if true}yes%{endif}\n",
      delimiter: "EOT\n  EOT_\n",
      awkward_keys: { true: 1, for: 2, "kubernetes.io/role": 3, "x-y": 4 },
    };
    const outputs = JSON.stringify({
      output: Object.fromEntries(Object.keys(locals).map((n) => [n, { value: `\${local.${n}}` }])),
    });
    const hcl = stackToHcl({ locals }, { provider_schemas: {} }).get("locals.tf")!;
    expect(hcl).toContain("sole_expression = jsonencode(");
    expect(hcl).toContain("<<EOT__\nEOT\n  EOT_\nEOT__");
    const fromJson = evaluate({ "locals.tf.json": JSON.stringify({ locals }), "outputs.tf.json": outputs });
    const fromHcl = evaluate({ "locals.tf": hcl, "outputs.tf.json": outputs });
    expect(fromHcl).toEqual(fromJson);
    expect(fromJson.quote_inside_expression.value).toBe('A"B and "literal"');
  }, 60000);

  describe.each(EXPORTED)("%s", (name) => {
    const stack = stackNameFor(name);
    const out = join(outdir, stack);
    let exported: ReturnType<typeof spawnSync> | undefined;

    beforeAll(() => {
      exported = spawnSync("npx", ["tsx", "scripts/export-hcl.ts", name, "--out", out], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
      });
    }, 120000);

    it("writes plain .tf files, and says it validated them", () => {
      expect({ status: exported?.status, stdout: exported?.stdout }).toEqual({
        status: 0,
        stdout: expect.stringMatching(
          new RegExp(`^exported ${stack} \\(\\d+ resources\\) -> .*; terraform validate: ok\\n$`),
        ),
      });
      const files = readdirSync(out).sort();
      expect(files).toEqual(
        expect.arrayContaining(["locals.tf", "main.tf", "outputs.tf", "providers.tf", "versions.tf"]),
      );
      expect(files.filter((f) => !f.endsWith(".tf"))).toEqual([]);
      expect(readFileSync(join(out, "locals.tf"), "utf8")).toContain("proxy_template_user_data = <<EOT\n#!/bin/bash\n");
    });

    it("keeps using the state that cdktf uses", () => {
      const versions = readFileSync(join(out, "versions.tf"), "utf8");
      const backend = parseEnvironment(environments.find((e) => e.name === name)!).stateBackend;
      if (backend) {
        // S3 (staging, prod): the same bucket, key and lock file.
        expect(versions).toMatch(new RegExp(`bucket\\s*=\\s*"${backend.bucket}"`));
        expect(versions).toMatch(new RegExp(`key\\s*=\\s*"${backend.key}"`));
        expect(versions).toMatch(/use_lockfile\s*=\s*true/);
        return;
      }
      const path = /path\s*=\s*"([^"]+)"/.exec(versions)?.[1] ?? "";
      expect(resolve(out, path)).toBe(join(PROJECT_ROOT, `terraform.${stack}.tfstate`));
    });

    it("carries every local over byte for byte, the user-data included", () => {
      // Locals only, resource references replaced by a sample address: Terraform itself
      // evaluates both forms (no provider needed) and the values must be identical.
      const sample = (text: string) => text.replace(/\$\{aws_[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+\}/g, "198.51.100.7");
      const synthDir = join(outdir, `locals-${name}`);
      buildApp(
        environments.filter((e) => e.name === name),
        synthDir,
      ).app.synth();
      const json = JSON.parse(readFileSync(join(synthDir, "stacks", stack, "cdk.tf.json"), "utf8"));
      const names = Object.keys(json.locals);
      const outputs = JSON.stringify({
        output: Object.fromEntries(names.map((n) => [n, { value: `\${local.${n}}` }])),
      });
      const fromJson = evaluate({
        "locals.tf.json": sample(JSON.stringify({ locals: json.locals })),
        "outputs.tf.json": outputs,
      });
      const fromHcl = evaluate({
        "locals.tf": sample(readFileSync(join(out, "locals.tf"), "utf8")),
        "outputs.tf.json": outputs,
      });
      expect(Object.keys(fromJson)).toEqual(names);
      expect(fromHcl).toEqual(fromJson);
      // The sample address shows that references were replaced, where the user-data has one
      // (prod's Kamailio advertises its DNS name, dev's its Elastic IP).
      expect(String(fromHcl.proxy_template_user_data.value).includes("198.51.100.7")).toBe(
        /\$\{aws_/.test(json.locals.proxy_template_user_data),
      );
    }, 60000);

    // Init and plan of the exported files also prove that they are valid Terraform offline.
    it("inits offline and plans exactly the same resources, values and outputs as the synthesized JSON", () => {
      const synthDir = join(outdir, `json-${name}`);
      buildApp(
        environments.filter((e) => e.name === name),
        synthDir,
      ).app.synth();
      const fromJson = planOf(offlineWorkdir(stack, "test-export-json", join(synthDir, "stacks")));
      const fromHcl = planOf(offlineWorkdirFromFolder(out, stack, "test-export-hcl"));
      expect(fromHcl).toEqual(fromJson);
      expect(existsSync(join(out, "cdk.tf.json"))).toBe(false);
    }, 180000);
  });
});

// Writes a synthesized stack (cdk.tf.json) as Terraform native syntax (HCL).
//
// Why not `cdktf synth --hcl`: in cdktf 0.21 it writes strings that contain `${` without
// escaping quotes or newlines, so this project's user-data and IAM policy come out as
// invalid HCL (hashicorp/terraform-cdk#3911, and the project is archived). Instead, this
// renders the JSON that `cdktf deploy` applies. Strings carry over exactly: a JSON string
// is a Terraform template, and HCL templates have the same `${`, `%{`, `$${`, `%%{` rules.
// What JSON syntax leaves to the schema, whether a key is a nested block or an argument,
// comes from the provider's own schema (`terraform providers schema -json`).
import { soleExpression, templateParts } from "./template";
import type { StackJson } from "./stack-json";

export interface SchemaBlock {
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly block_types?: Readonly<Record<string, { readonly nesting_mode: string; readonly block: SchemaBlock }>>;
}

interface ProviderSchema {
  readonly provider: { readonly block: SchemaBlock };
  readonly resource_schemas?: Readonly<Record<string, { readonly block: SchemaBlock }>>;
  readonly data_source_schemas?: Readonly<Record<string, { readonly block: SchemaBlock }>>;
}

/** Output of `terraform providers schema -json`. */
export interface ProviderSchemas {
  readonly provider_schemas: Readonly<Record<string, ProviderSchema>>;
}

export interface HclOptions {
  /** Rewrites a local backend's `path` (relative to the synthesized stack) for the export folder. */
  readonly localStatePath?: (path: string) => string;
  /** First line of every file. */
  readonly header?: string;
}

type Json = unknown;
type JsonObject = Record<string, Json>;
const isObject = (v: Json): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// Bare object keys that would parse as something else: literals, or the start of a `for`.
const KEYWORDS = new Set(["true", "false", "null", "for"]);
const objectKey = (k: string) => (IDENTIFIER.test(k) && !KEYWORDS.has(k) ? k : quoted(k));

const ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function quoted(s: string): string {
  const escapeLiteral = (text: string) =>
    [...text].map((c) => ESCAPES[c] ?? (c < " " ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : c)).join("");
  // Inside `${...}` the text is an expression, where a quote is a quote: escape literals only.
  return `"${templateParts(s)
    .map((p) => (p.kind === "literal" ? escapeLiteral(p.text) : p.text))
    .join("")}"`;
}

function heredoc(s: string): string {
  const lines = s.slice(0, -1).split("\n");
  let tag = "EOT";
  // The closing marker may be indented, so any line that trims to the tag would end it early.
  while (lines.some((l) => l.trim() === tag)) tag += "_";
  return `<<${tag}\n${lines.join("\n")}\n${tag}`;
}

function stringExpr(s: string): string {
  const sole = soleExpression(s);
  // "${expr}" alone is the expression's own value in both syntaxes; HCL writes it bare.
  if (sole !== undefined && !sole.includes("\n")) return sole;
  // A heredoc keeps every byte (no backslash escapes) but always ends in a newline.
  if (s.includes("\n") && s.endsWith("\n") && !s.includes("\r")) return heredoc(s);
  return quoted(s);
}

function expr(value: Json, indent: string): string {
  if (typeof value === "string") return stringExpr(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = value.map((v) => expr(v, inner));
    const oneLine = `[${items.join(", ")}]`;
    if (oneLine.length <= 100 && !oneLine.includes("\n")) return oneLine;
    return `[\n${items.map((i) => `${inner}${i},`).join("\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as JsonObject).filter(([k]) => k !== "//");
  if (entries.length === 0) return "{}";
  const lines = entries.map(([k, v]) => `${inner}${objectKey(k)} = ${expr(v, inner)}`);
  return `{\n${lines.join("\n")}\n${indent}}`;
}

/** A reference written as a bare traversal (`depends_on`, `ignore_changes`, `moved`). */
const traversal = (s: string) => soleExpression(s) ?? s;

class Writer {
  readonly lines: string[] = [];
  line(indent: string, text: string): void {
    this.lines.push(`${indent}${text}`);
  }
  attribute(indent: string, name: string, value: Json): void {
    this.line(indent, `${name} = ${expr(value, indent)}`);
  }
  block(indent: string, head: string, fill: (inner: string) => void): void {
    this.line(indent, `${head} {`);
    fill(`${indent}  `);
    this.line(indent, "}");
  }
}

/** Arguments and nested blocks of one body, told apart by the provider schema. */
function body(w: Writer, indent: string, value: JsonObject, schema: SchemaBlock, where: string): void {
  for (const [key, v] of Object.entries(value)) {
    if (key === "//" || v === undefined) continue;
    const nested = schema.block_types?.[key];
    if (nested) {
      if (nested.nesting_mode === "map" && isObject(v)) {
        for (const [label, b] of Object.entries(v)) {
          w.block(indent, `${key} ${quoted(label)}`, (i) => body(w, i, b as JsonObject, nested.block, where));
        }
      } else {
        for (const b of Array.isArray(v) ? v : [v]) {
          w.block(indent, key, (i) => body(w, i, b as JsonObject, nested.block, `${where}.${key}`));
        }
      }
    } else if (schema.attributes?.[key] !== undefined) {
      w.attribute(indent, key, v);
    } else {
      throw new Error(`${where}: "${key}" is neither an argument nor a block in the provider schema`);
    }
  }
}

function lifecycle(w: Writer, indent: string, value: JsonObject, where: string): void {
  w.block(indent, "lifecycle", (i) => {
    for (const [key, v] of Object.entries(value)) {
      if (key === "create_before_destroy" || key === "prevent_destroy") w.attribute(i, key, v);
      else if (key === "ignore_changes" && v === "all") w.line(i, "ignore_changes = all");
      else if (key === "ignore_changes" || key === "replace_triggered_by") {
        w.line(i, `${key} = [${(v as string[]).map(traversal).join(", ")}]`);
      } else throw new Error(`${where}: lifecycle.${key} is not supported by the HCL export`);
    }
  });
}

const META_FIRST = ["provider", "count", "for_each"];
const META_LAST = ["depends_on", "lifecycle"];

function resourceBlock(
  w: Writer,
  kind: "resource" | "data",
  type: string,
  name: string,
  value: JsonObject,
  schema: SchemaBlock,
) {
  const where = `${kind === "data" ? "data." : ""}${type}.${name}`;
  const path = (value["//"] as { metadata?: { path?: string } } | undefined)?.metadata?.path;
  if (path) w.line("", `# construct ${path}`);
  w.block("", `${kind} "${type}" "${name}"`, (i) => {
    for (const key of META_FIRST) {
      if (value[key] === undefined) continue;
      w.line(i, `${key} = ${key === "provider" ? traversal(value[key] as string) : expr(value[key], i)}`);
    }
    const rest = Object.fromEntries(
      Object.entries(value).filter(([k]) => !META_FIRST.includes(k) && !META_LAST.includes(k)),
    );
    body(w, i, rest, schema, where);
    if (value.depends_on) w.line(i, `depends_on = [${(value.depends_on as string[]).map(traversal).join(", ")}]`);
    if (value.lifecycle) lifecycle(w, i, value.lifecycle as JsonObject, where);
  });
  w.line("", "");
}

function schemaFor(schemas: ProviderSchemas, kind: "resource_schemas" | "data_source_schemas", type: string) {
  for (const provider of Object.values(schemas.provider_schemas)) {
    const found = provider[kind]?.[type];
    if (found) return found.block;
  }
  throw new Error(`no provider schema has ${kind === "data_source_schemas" ? "data source" : "resource"} ${type}`);
}

function terraformBlock(w: Writer, value: JsonObject, options: HclOptions): void {
  w.block("", "terraform", (i) => {
    for (const [key, v] of Object.entries(value)) {
      if (key === "required_providers") {
        w.block(i, "required_providers", (j) => {
          for (const [name, req] of Object.entries(v as JsonObject)) w.attribute(j, name, req);
        });
      } else if (key === "backend") {
        for (const [type, config] of Object.entries(v as JsonObject)) {
          const settings = { ...(config as JsonObject) };
          if (type === "local" && typeof settings.path === "string" && options.localStatePath) {
            settings.path = options.localStatePath(settings.path);
          }
          w.block(i, `backend "${type}"`, (j) => Object.entries(settings).forEach(([k, s]) => w.attribute(j, k, s)));
        }
      } else if (key === "required_version") {
        w.attribute(i, key, v);
      } else {
        throw new Error(`terraform.${key} is not supported by the HCL export`);
      }
    }
  });
}

/** `aws` with source `aws` or `hashicorp/aws` is registry.terraform.io/hashicorp/aws. */
function providerAddress(stack: StackJson, name: string): string {
  const required = (stack.terraform?.required_providers ?? {}) as Record<string, { source?: string }>;
  const parts = (required[name]?.source ?? name).split("/");
  if (parts.length === 1) return `registry.terraform.io/hashicorp/${parts[0]}`;
  return parts.length === 2 ? `registry.terraform.io/${parts.join("/")}` : parts.join("/");
}

const SUPPORTED = new Set(["//", "terraform", "provider", "variable", "locals", "resource", "data", "output", "moved"]);

/** The stack as HCL files by name: versions.tf, providers.tf, variables.tf, locals.tf, main.tf, outputs.tf. */
export function stackToHcl(stack: StackJson, schemas: ProviderSchemas, options: HclOptions = {}): Map<string, string> {
  const unsupported = Object.keys(stack).filter((k) => !SUPPORTED.has(k));
  if (unsupported.length > 0) throw new Error(`the HCL export does not handle top-level ${unsupported.join(", ")}`);
  const json = stack as JsonObject;
  const files = new Map<string, string>();
  const file = (name: string, fill: (w: Writer) => void) => {
    const w = new Writer();
    fill(w);
    if (w.lines.length > 0) {
      const text = [...(options.header ? [options.header, ""] : []), ...w.lines].join("\n").trimEnd();
      files.set(name, `${text}\n`);
    }
  };

  file("versions.tf", (w) => stack.terraform && terraformBlock(w, stack.terraform as JsonObject, options));
  file("providers.tf", (w) => {
    for (const [name, configs] of Object.entries(stack.provider ?? {})) {
      const schema = schemas.provider_schemas[providerAddress(stack, name)];
      if (!schema) throw new Error(`no provider schema for provider "${name}" (${providerAddress(stack, name)})`);
      const withAlias: SchemaBlock = {
        ...schema.provider.block,
        attributes: { ...schema.provider.block.attributes, alias: {} },
      };
      for (const config of configs) {
        w.block("", `provider "${name}"`, (i) => body(w, i, config as JsonObject, withAlias, `provider.${name}`));
      }
    }
  });
  file("variables.tf", (w) => {
    for (const [name, variable] of Object.entries((json.variable ?? {}) as Record<string, JsonObject>)) {
      w.block("", `variable "${name}"`, (i) => {
        for (const [key, v] of Object.entries(variable)) {
          // A type constraint is an expression (`list(string)`), which JSON syntax keeps in a string.
          if (key === "type") w.line(i, `type = ${v as string}`);
          else if (key === "validation") {
            for (const rule of Array.isArray(v) ? v : [v]) {
              w.block(i, "validation", (j) =>
                Object.entries(rule as JsonObject).forEach(([k, r]) => w.attribute(j, k, r)),
              );
            }
          } else w.attribute(i, key, v);
        }
      });
      w.line("", "");
    }
  });
  file("locals.tf", (w) => {
    if (!stack.locals || Object.keys(stack.locals).length === 0) return;
    w.block("", "locals", (i) => Object.entries(stack.locals!).forEach(([k, v]) => w.attribute(i, k, v)));
  });
  file("main.tf", (w) => {
    for (const [kind, key] of [
      ["data", "data_source_schemas"],
      ["resource", "resource_schemas"],
    ] as const) {
      for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, JsonObject>>)) {
        const schema = schemaFor(schemas, key, type);
        for (const [name, value] of Object.entries(byName)) resourceBlock(w, kind, type, name, value, schema);
      }
    }
    for (const move of (json.moved ?? []) as { from: string; to: string }[]) {
      w.block("", "moved", (i) => {
        w.line(i, `from = ${traversal(move.from)}`);
        w.line(i, `to   = ${traversal(move.to)}`);
      });
    }
  });
  file("outputs.tf", (w) => {
    for (const [name, output] of Object.entries(stack.output ?? {})) {
      w.block("", `output "${name}"`, (i) => {
        for (const [key, v] of Object.entries(output as JsonObject)) {
          if (key === "depends_on") w.line(i, `depends_on = [${(v as string[]).map(traversal).join(", ")}]`);
          else w.attribute(i, key, v);
        }
      });
      w.line("", "");
    }
  });
  return files;
}

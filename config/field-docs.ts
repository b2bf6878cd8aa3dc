// What an environment field means to the operator, declared once beside the field in
// config/schema.ts (`documented(...)`): the fix every error on it carries, what it does, and
// its default. The README's environment table is generated from the same declarations
// (`npm run docs`), so the table, the error messages and the parser cannot disagree.
import { z } from "zod";

export interface FieldDoc {
  /** What to write instead: the `Fix:` of every error on the field, and the README's "accepts". */
  readonly hint: string;
  /** What the field does and why its default is what it is (markdown, for the README). */
  readonly about?: string;
  /**
   * The default in words, where the parser cannot show it as a value: one computed from other
   * fields, or applied while resolving (config/schema.ts `resolve`). Otherwise the table shows
   * the zod default's value, "none" for an optional field and "required" for the rest.
   */
  readonly defaultText?: string;
}

const FIELD_DOCS = z.registry<FieldDoc>();

/**
 * A copy of `schema` with its documentation attached (zod's registry). A copy, because one
 * schema (a host name, a region) serves several fields, each with its own words.
 */
export function documented<T extends z.ZodType>(schema: T, doc: FieldDoc): T {
  const copy = schema.clone();
  FIELD_DOCS.add(copy, doc);
  return copy;
}

/** One field of an environment, as the README's table and the fix hints see it. */
export interface FieldEntry {
  /** e.g. `sip.port`; an array's elements share the array's path (`destinations.host`). */
  readonly path: string;
  readonly doc?: FieldDoc;
  /** The default as the README shows it. */
  readonly defaultShown: string;
  /** Whether the field has fields of its own (an object, or an array of objects). */
  readonly hasFields: boolean;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
}
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;
const WRAPPERS = new Set(["optional", "default", "nullable", "pipe", "prefault"]);

/** Every field of `schema`, depth first in declaration order. */
export function fieldsOf(schema: z.ZodType, prefix = "", out: FieldEntry[] = []): FieldEntry[] {
  let node = schema;
  let doc = FIELD_DOCS.get(node);
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  while (WRAPPERS.has(defOf(node).type)) {
    const def = defOf(node);
    if (def.type === "optional") optional = true;
    if (def.type === "default" && !hasDefault) {
      hasDefault = true;
      defaultValue = def.defaultValue;
    }
    node = (def.innerType ?? def.in)!;
    doc ??= FIELD_DOCS.get(node);
  }
  const def = defOf(node);
  const children: [string, z.ZodType][] = [];
  const collect = (inner: z.ZodType): void => {
    const d = defOf(inner);
    if (d.type === "object") children.push(...Object.entries(d.shape ?? {}));
    else if (d.type === "array") collect(d.element!);
    else if (d.type === "union") for (const option of d.options ?? []) collect(option);
    else if (WRAPPERS.has(d.type)) collect((d.innerType ?? d.in)!);
  };
  collect(node);
  if (prefix && !out.some((f) => f.path === prefix)) {
    out.push({
      path: prefix,
      doc,
      defaultShown:
        doc?.defaultText ??
        (hasDefault ? shownValue(defaultValue, def.type === "object") : optional ? "none" : "required"),
      hasFields: children.length > 0,
    });
  }
  for (const [key, value] of children) fieldsOf(value, prefix ? `${prefix}.${key}` : key, out);
  return out;
}

/** A default as an operator would write it; an object's own defaults are its fields'. */
function shownValue(value: unknown, isObject: boolean): string {
  if (isObject && value !== null && typeof value === "object" && Object.keys(value).length > 0)
    return "each field's default";
  return `\`${JSON.stringify(value).replace(/,/g, ", ").replace(/:/g, ": ")}\``;
}

/** Each field list's hints by path, built once per list (every error asks for one). */
const hintsByPath = new WeakMap<readonly FieldEntry[], ReadonlyMap<string, string | undefined>>();

/**
 * The fix for a field: its own hint, or its nearest documented parent's (`sip.port[0]` →
 * `sip.port` → `sip`).
 */
export function hintIn(fields: readonly FieldEntry[], path: string): string | undefined {
  let byPath = hintsByPath.get(fields);
  if (!byPath) hintsByPath.set(fields, (byPath = new Map(fields.map((f) => [f.path, f.doc?.hint]))));
  const normalized = path.replace(/\[\d+\]/g, "");
  for (let p = normalized; p; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
    const hint = byPath.get(p);
    if (hint) return hint;
  }
  return undefined;
}

/** The README's table of environment fields (markdown), one row per documented field. */
export function fieldTable(fields: readonly FieldEntry[]): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n\s*/g, " ");
  // Hints are written for a terminal: a `<Sip ...>` in them is text, not HTML.
  const plain = (text: string) => cell(text).replace(/</g, "&lt;");
  const rows = fields
    .filter((f) => f.doc?.about !== undefined)
    .map((f) => `| \`${f.path}\` | ${cell(f.defaultShown)} | ${cell(f.doc!.about!)} | ${plain(f.doc!.hint)} |`);
  return ["| field | default | what it does | accepts |", "|---|---|---|---|", ...rows].join("\n");
}

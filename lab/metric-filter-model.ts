// A model of CloudWatch Logs' space-delimited metric filters, for tests that check a pattern
// against log lines a real program wrote. Nothing here can run CloudWatch Logs; this follows
// the CloudWatch Logs user guide ("Filter and Pattern Syntax", "Using Metric Filters to
// Extract Values from Space-Delimited Log Events"), and models only what the project uses:
// - the event splits into fields at spaces; "The characters between a pair of square brackets
//   [] or two double quotes ("") are treated as a single field";
// - the pattern names the fields in order, in square brackets, separated by commas; one
//   ellipsis (...) stands for any number of fields ("[..., status_code, bytes]");
// - a field may carry a condition: `name="text"` (equal, `*` a wildcard) or `name!="text"`,
//   `name>=N`, `>`, `<=`, `<`, `=N`, `!=N` (numeric: the field must be a number);
// - a metric transformation's value `$name` is the value of that named field, published only
//   when it is a number; any other value (e.g. "1") is the number itself.

/** Fields a pattern extracted from an event (`$name` and `$<position>`), or undefined: no match. */
export type Extracted = Readonly<Record<string, string>>;

/** Splits an event into fields as CloudWatch does for space-delimited patterns. */
export function eventFields(event: string): string[] {
  const fields: string[] = [];
  const re = /\[[^\]]*\]|"[^"]*"|[^ ]+/g;
  for (const match of event.trim().matchAll(re)) {
    const text = match[0];
    fields.push(/^["[]/.test(text) && text.length >= 2 ? text.slice(1, -1) : text);
  }
  return fields;
}

interface FieldSpec {
  readonly name: string;
  readonly operator?: "=" | "!=" | ">=" | "<=" | ">" | "<";
  readonly operand?: string;
}

function parsePattern(pattern: string): FieldSpec[] {
  const inner = /^\[(.*)\]$/s.exec(pattern.trim());
  if (!inner) throw new Error(`not a space-delimited pattern: ${pattern}`);
  return inner[1].split(",").map((raw) => {
    const text = raw.trim();
    const m = /^([A-Za-z0-9_]+|\.\.\.)\s*(?:(!=|>=|<=|=|>|<)\s*(.+))?$/.exec(text);
    if (!m) throw new Error(`cannot read pattern field "${text}" in ${pattern}`);
    return { name: m[1], operator: m[2] as FieldSpec["operator"], operand: m[3] };
  });
}

const isNumber = (text: string) => /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text);

function holds(spec: FieldSpec, value: string): boolean {
  if (!spec.operator || spec.operand === undefined) return true;
  const quoted = /^"(.*)"$/s.exec(spec.operand);
  if (quoted || !isNumber(spec.operand)) {
    const wanted = quoted ? quoted[1] : spec.operand;
    const re = new RegExp(
      `^${wanted
        .split("*")
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    if (spec.operator === "=") return re.test(value);
    if (spec.operator === "!=") return !re.test(value);
    throw new Error(`a string condition takes = or !=, not ${spec.operator}`);
  }
  if (!isNumber(value)) return false;
  const [a, b] = [Number(value), Number(spec.operand)];
  switch (spec.operator) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case ">=":
      return a >= b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case "<":
      return a < b;
  }
}

/** Matches one event against a space-delimited pattern; the extracted fields, or undefined. */
export function matchSpaceDelimited(pattern: string, event: string): Extracted | undefined {
  const specs = parsePattern(pattern);
  const values = eventFields(event);
  const ellipsis = specs.findIndex((s) => s.name === "...");
  if (specs.filter((s) => s.name === "...").length > 1) throw new Error(`the model takes one ellipsis: ${pattern}`);
  let aligned: [FieldSpec, number][];
  if (ellipsis < 0) {
    if (values.length !== specs.length) return undefined;
    aligned = specs.map((s, i) => [s, i]);
  } else {
    const before = specs.slice(0, ellipsis);
    const after = specs.slice(ellipsis + 1);
    if (values.length < before.length + after.length) return undefined;
    aligned = [
      ...before.map((s, i) => [s, i] as [FieldSpec, number]),
      ...after.map((s, i) => [s, values.length - after.length + i] as [FieldSpec, number]),
    ];
  }
  const extracted: Record<string, string> = {};
  for (const [spec, index] of aligned) {
    if (!holds(spec, values[index])) return undefined;
    extracted[`$${spec.name}`] = values[index];
  }
  values.forEach((value, i) => (extracted[`$${i + 1}`] = value));
  return extracted;
}

/**
 * The datapoint a metric transformation publishes for a matched event: a literal number, or a
 * named field's value when it is a number (undefined otherwise: no datapoint).
 */
export function metricValue(transformationValue: string, extracted: Extracted): number | undefined {
  if (!transformationValue.startsWith("$")) return Number(transformationValue);
  const value = extracted[transformationValue];
  return value !== undefined && isNumber(value) ? Number(value) : undefined;
}

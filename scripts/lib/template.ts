// Terraform string templates, as they appear in cdk.tf.json: literal text with `${expr}`
// interpolations and `%{...}` directives, `$${` and `%%{` being escaped literals. The same
// rules hold in HCL, which is why a JSON string can be carried over part by part.

export interface TemplatePart {
  readonly kind: "literal" | "interpolation" | "directive";
  /** For literals the text as is (escapes kept); otherwise the whole `${...}` / `%{...}`. */
  readonly text: string;
}

/** Index just past the `}` that closes the sequence opened at `start` (`${` or `%{`); -1 if none. */
function closingBrace(s: string, start: number): number {
  let depth = 0;
  let quote = false;
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      // Strings inside an expression may hold braces; nested templates are rare enough to give up on.
      if (c === "\\") i++;
      else if (c === '"') quote = false;
      else if ((c === "$" || c === "%") && s[i + 1] === "{") return -1;
    } else if (c === '"') quote = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return -1;
}

/** Splits a template into literal and `${...}` / `%{...}` parts; unbalanced text stays literal. */
export function templateParts(s: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    const opens = (c === "$" || c === "%") && s[i + 1] === "{";
    const escaped = (c === "$" || c === "%") && s[i + 1] === c && s[i + 2] === "{";
    if (escaped) {
      literal += s.slice(i, i + 3);
      i += 3;
      continue;
    }
    const end = opens ? closingBrace(s, i) : -1;
    if (end < 0) {
      literal += c;
      i++;
      continue;
    }
    if (literal) parts.push({ kind: "literal", text: literal });
    literal = "";
    parts.push({ kind: c === "$" ? "interpolation" : "directive", text: s.slice(i, end) });
    i = end;
  }
  if (literal) parts.push({ kind: "literal", text: literal });
  return parts;
}

/** The expression of a string that is exactly one `${expr}`, else undefined. */
export function soleExpression(s: string): string | undefined {
  const parts = templateParts(s);
  return parts.length === 1 && parts[0].kind === "interpolation" ? parts[0].text.slice(2, -1).trim() : undefined;
}

/**
 * Objects an expression refers to: `local.name`, and `type.name.attribute` for the given
 * resource addresses (other dotted words, such as function names or literals, are ignored).
 */
export function references(s: string): { locals: string[]; resources: { address: string; attribute?: string }[] } {
  const locals: string[] = [];
  const resources: { address: string; attribute?: string }[] = [];
  for (const part of templateParts(s)) {
    if (part.kind === "literal") continue;
    for (const m of part.text.matchAll(/(?<![\w."])([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_]\w*))?/g)) {
      if (m[1] === "local") locals.push(m[2]);
      else resources.push({ address: `${m[1]}.${m[2]}`, attribute: m[3] });
    }
  }
  return { locals, resources };
}

// Compares two synthesized revisions of the same stacks without Terraform or AWS: which
// resources appear, disappear, change in place or get replaced, and which of those would
// cost the public addresses Twilio knows. Terraform's plan remains the authority (see
// replacement-rules.ts for what this can and cannot know); this is the review-time view.
import { isDeepStrictEqual } from "node:util";
import { ADDRESSABLE, CHANGES_ON_UPDATE, forcesNew, sideEffectOf } from "./replacement-rules";
import type { StackJson } from "./stack-json";
import { references } from "./template";

export interface AttributeChange {
  /** Terraform-style path inside the resource, e.g. `launch_template.version`. */
  readonly path: string;
  /** Why a value that reads the same changes anyway, e.g. `local.proxy_template_user_data changed`. */
  readonly via?: string;
  readonly forcesReplacement: boolean;
}

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly action: "add" | "remove" | "update" | "replace";
  readonly attributes: readonly AttributeChange[];
  readonly sideEffects: readonly string[];
  /** Set when an Elastic IP, NLB or NAT gateway is replaced or removed: what it costs. */
  readonly danger?: string;
}

export interface StackChanges {
  readonly stack: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly resources: readonly ResourceChange[];
  readonly locals: readonly string[];
  readonly outputs: readonly string[];
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

function resourcesOf(stack: StackJson | undefined): Map<string, Json> {
  const all = new Map<string, Json>();
  for (const [type, byName] of Object.entries(stack?.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) all.set(`${type}.${name}`, body);
  }
  return all;
}

/** Paths whose values differ; `//` (cdktf's construct metadata) is not configuration. */
function changedPaths(a: Json, b: Json, path = "", out: string[] = []): string[] {
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (key !== "//") changedPaths(a[key], b[key], path ? `${path}.${key}` : key, out);
    }
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => changedPaths(item, b[i], `${path}[${i}]`, out));
  } else if (!isDeepStrictEqual(a, b)) {
    out.push(path);
  }
  return out;
}

function stringLeaves(value: Json, path = "", out: [string, string][] = []): [string, string][] {
  if (typeof value === "string") out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => stringLeaves(v, `${path}[${i}]`, out));
  else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) if (k !== "//") stringLeaves(v, path ? `${path}.${k}` : k, out);
  }
  return out;
}

function changedKeys(a: Record<string, Json> | undefined, b: Record<string, Json> | undefined): string[] {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  return [...keys].filter((k) => !isDeepStrictEqual(a?.[k], b?.[k])).sort();
}

const typeOf = (address: string) => address.slice(0, address.indexOf("."));

/** Changes of one stack between a base and a head revision (either may be missing). */
export function diffStack(stack: string, base: StackJson | undefined, head: StackJson | undefined): StackChanges {
  const before = resourcesOf(base);
  const after = resourcesOf(head);
  // A `moved` block keeps the object in state under its new address: not a replacement.
  for (const { from, to } of (head as { moved?: { from: string; to: string }[] } | undefined)?.moved ?? []) {
    if (before.has(from) && !before.has(to)) {
      before.set(to, before.get(from));
      before.delete(from);
    }
  }

  const changes = new Map<string, AttributeChange[]>();
  const record = (address: string, path: string, via?: string) => {
    const list = changes.get(address) ?? [];
    if (list.some((c) => c.path === path)) return false;
    list.push({ path, via, forcesReplacement: forcesNew(typeOf(address), path) });
    changes.set(address, list);
    return true;
  };
  for (const [address, body] of after) {
    if (before.has(address)) changedPaths(before.get(address), body).forEach((p) => record(address, p));
  }

  // Values that read the same can still change: a local whose text changed, an attribute of
  // a replaced resource, a launch template's next version. Carry those along until stable.
  const locals = head?.locals ?? {};
  const changedLocals = new Set(changedKeys(base?.locals, head?.locals));
  const replaced = () => new Set([...changes].filter(([, l]) => l.some((c) => c.forcesReplacement)).map(([a]) => a));
  const why = (leaf: string): string | undefined => {
    const refs = references(leaf);
    const local = refs.locals.find((l) => changedLocals.has(l));
    if (local) return `local.${local} changed`;
    const gone = replaced();
    for (const { address, attribute } of refs.resources) {
      if (gone.has(address)) return `${address} is replaced`;
      if (attribute && changes.has(address) && CHANGES_ON_UPDATE[typeOf(address)]?.includes(attribute)) {
        return `${address}.${attribute} changes`;
      }
    }
    return undefined;
  };
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, value] of Object.entries(locals)) {
      if (!changedLocals.has(name) && stringLeaves(value).some(([, leaf]) => why(leaf))) {
        changedLocals.add(name);
        grew = true;
      }
    }
    for (const [address, body] of after) {
      if (!before.has(address)) continue;
      for (const [path, leaf] of stringLeaves(body)) {
        const via = why(leaf);
        if (via && record(address, path, via)) grew = true;
      }
    }
  }

  // prevent_destroy stops a replacement, but not a removal: it leaves with the removed block.
  const preventsDestroy = (body: Json) =>
    isObject(body) && (body as { lifecycle?: { prevent_destroy?: unknown } }).lifecycle?.prevent_destroy === true;
  const guard = (address: string, removedBlock: boolean) =>
    removedBlock
      ? preventsDestroy(before.get(address))
        ? " (prevent_destroy does not stop this: it goes with the removed block)"
        : ""
      : preventsDestroy(after.get(address))
        ? " (prevent_destroy is set: Terraform will refuse this plan until it is lifted)"
        : "";
  const added = [...after.keys()].filter((a) => !before.has(a));
  const removed = [...before.keys()].filter((a) => !after.has(a));
  const resources: ResourceChange[] = [];
  for (const address of added) {
    resources.push({ address, type: typeOf(address), action: "add", attributes: [], sideEffects: [] });
  }
  for (const address of removed) {
    const type = typeOf(address);
    const renamedTo = added.filter((a) => typeOf(a) === type);
    const danger = ADDRESSABLE[type]
      ? renamedTo.length > 0
        ? `${address} is REPLACED (renamed to ${renamedTo.join(" or ")}, no moved block): ${ADDRESSABLE[type]}${guard(address, true)}`
        : `${address} is DESTROYED: ${ADDRESSABLE[type]}${guard(address, true)}`
      : undefined;
    resources.push({ address, type, action: "remove", attributes: [], sideEffects: [], danger });
  }
  for (const [address, attributes] of changes) {
    const type = typeOf(address);
    const replace = attributes.some((c) => c.forcesReplacement);
    const forcedBy = attributes.filter((c) => c.forcesReplacement).map((c) => c.path);
    const sideEffects = [...new Set(attributes.map((c) => sideEffectOf(type, c.path)).filter((e) => e !== undefined))];
    resources.push({
      address,
      type,
      action: replace ? "replace" : "update",
      attributes,
      sideEffects: replace ? [] : sideEffects,
      danger:
        replace && ADDRESSABLE[type]
          ? `${address} is REPLACED (${forcedBy.join(", ")} forces it): ${ADDRESSABLE[type]}${guard(address, false)}`
          : undefined,
    });
  }
  resources.sort((a, b) => (a.address < b.address ? -1 : 1));

  const outputs = changedKeys(base?.output, head?.output);
  const status = !base ? "added" : !head ? "removed" : resources.length + outputs.length > 0 ? "changed" : "unchanged";
  return { stack, status, resources, locals: [...changedLocals].sort(), outputs };
}

/** Every stack present in either revision, by name. */
export function diffStacks(base: ReadonlyMap<string, StackJson>, head: ReadonlyMap<string, StackJson>): StackChanges[] {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  return names.map((name) => diffStack(name, base.get(name), head.get(name)));
}

const SYMBOL = { add: "+", remove: "-", update: "~", replace: "-/+" } as const;

/** The report `npm run changes` prints. */
export function formatChanges(all: readonly StackChanges[]): string {
  const lines: string[] = [];
  for (const s of all) {
    const count = (action: ResourceChange["action"]) => s.resources.filter((r) => r.action === action).length;
    const totals = `${count("add")} to add, ${count("update")} to change in place, ${count("replace")} to replace, ${count("remove")} to remove`;
    const heading = {
      added: `new stack, ${count("add")} to add`,
      removed: `stack removed, ${count("remove")} to remove`,
      changed: totals,
      unchanged: "no changes",
    }[s.status];
    lines.push(`== ${s.stack}: ${heading}`);
    for (const r of s.resources) {
      lines.push(`  ${SYMBOL[r.action].padEnd(3)} ${r.address}`);
      for (const c of r.attributes) {
        lines.push(
          `        ${c.path}${c.via ? ` (${c.via})` : ""}${c.forcesReplacement ? "  # forces replacement" : ""}`,
        );
      }
      for (const effect of r.sideEffects) lines.push(`        -> ${effect}`);
    }
    if (s.status === "changed" && s.locals.length > 0) lines.push(`  locals changed: ${s.locals.join(", ")}`);
    if (s.status === "changed" && s.outputs.length > 0) lines.push(`  outputs changed: ${s.outputs.join(", ")}`);
    for (const r of s.resources) if (r.danger) lines.push(`  !!! DANGER: ${r.danger}`);
  }
  return lines.join("\n");
}

/** True when any stack would lose an Elastic IP, NLB or NAT gateway. */
export function hasDanger(all: readonly StackChanges[]): boolean {
  return all.some((s) => s.resources.some((r) => r.danger));
}

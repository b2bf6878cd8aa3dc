// Each environment field's documentation lives beside the field (config/schema.ts,
// `documented`): these tests hold every field to having it, the README's defaults to what the
// parser applies, and the errors to the field's own fix.
import { z } from "zod";
import { documented, fieldsOf } from "../../config/field-docs";
import { ConfigError, ENVIRONMENT_FIELDS, environmentSchema, parseEnvironment } from "../../config/schema";
import { validInput } from "../fixtures/environments";

/**
 * Every field path the schema accepts (object keys, through optional, default, arrays and
 * unions), walked here independently of config/field-docs.ts.
 */
function fieldPaths(schema: unknown, prefix = "", out: string[] = []): string[] {
  type Def = {
    type: string;
    innerType?: unknown;
    in?: unknown;
    shape?: object;
    element?: unknown;
    options?: unknown[];
  };
  let node = schema as { _zod?: { def: Def } };
  const wrappers = ["optional", "default", "nullable", "pipe", "prefault"];
  while (node?._zod && wrappers.includes(node._zod.def.type)) {
    node = (node._zod.def.innerType ?? node._zod.def.in) as typeof node;
  }
  const def = node?._zod?.def;
  if (prefix && !out.includes(prefix)) out.push(prefix);
  if (def?.type === "object") {
    for (const [key, value] of Object.entries(def.shape ?? {}))
      fieldPaths(value, prefix ? `${prefix}.${key}` : key, out);
  } else if (def?.type === "array") fieldPaths(def.element, prefix, out);
  else if (def?.type === "union") for (const option of def.options ?? []) fieldPaths(option, prefix, out);
  return out;
}

const entry = (path: string) => ENVIRONMENT_FIELDS.find((f) => f.path === path)!;

describe("environment field documentation", () => {
  it("covers every field the schema accepts, each with a fix hint", () => {
    const paths = fieldPaths(environmentSchema);
    expect(paths.length).toBeGreaterThan(50);
    expect(ENVIRONMENT_FIELDS.map((f) => f.path)).toEqual(paths);
    expect(ENVIRONMENT_FIELDS.filter((f) => !f.doc?.hint).map((f) => f.path)).toEqual([]);
  });

  it("says what every setting an operator writes does (each has a row in the README)", () => {
    expect(ENVIRONMENT_FIELDS.filter((f) => !f.hasFields && !f.doc?.about).map((f) => f.path)).toEqual([]);
  });

  it("shows, for every default the parser applies by value, that very value", () => {
    // Optional objects present (empty or with their required fields), so their own defaults apply.
    const parsed = environmentSchema.parse({
      ...validInput,
      autoscaling: {},
      stateBackend: { bucket: "state-bucket" },
      destinations: [{ host: "acme.sip.ashburn.twilio.com" }],
    });
    const at = (path: string): unknown =>
      path.split(".").reduce<unknown>((node, key) => {
        const value = Array.isArray(node) ? node[0] : node;
        return (value as Record<string, unknown>)[key];
      }, parsed);
    const byValue = ENVIRONMENT_FIELDS.filter((f) => !f.doc?.defaultText && /^`.*`$/.test(f.defaultShown));
    expect(byValue.length).toBeGreaterThan(25);
    for (const field of byValue) {
      expect({ path: field.path, value: at(field.path) }).toEqual({
        path: field.path,
        value: JSON.parse(field.defaultShown.slice(1, -1)),
      });
    }
  });

  it("calls a field without a default required, and an optional one without a default none", () => {
    expect(entry("destinationDomain").defaultShown).toBe("required");
    expect(entry("sourceAuth.passwordParameter").defaultShown).toBe("required");
    expect(entry("sshCidr").defaultShown).toBe("none");
    expect(entry("dns.hostedZoneId").defaultShown).toBe("none");
  });

  it.each([
    [
      "destinations",
      {},
      (c: ReturnType<typeof parseEnvironment>) => c.destinations,
      ["acme.sip.twilio.com"],
      "destinationDomain",
    ],
    [
      "sip.egressPort",
      { sip: { port: 5080 } },
      (c: ReturnType<typeof parseEnvironment>) => c.sip.egressPort,
      5090,
      "5090",
    ],
    [
      "natGateways",
      { architecture: "load-balanced" },
      (c: ReturnType<typeof parseEnvironment>) => c.loadBalancing?.natGateways,
      "single",
      '"single"',
    ],
    [
      "autoscaling.desired",
      { architecture: "load-balanced", autoscaling: { min: 3 } },
      (c: ReturnType<typeof parseEnvironment>) => c.loadBalancing?.desired,
      3,
      "min",
    ],
    [
      "stateBackend.region",
      { region: "eu-west-1", availabilityZones: ["eu-west-1a"], stateBackend: { bucket: "state-bucket" } },
      (c: ReturnType<typeof parseEnvironment>) => c.stateBackend?.region,
      "eu-west-1",
      "region",
    ],
  ] as const)("%s: the default in words is the one resolving applies", (path, change, read, expected, words) => {
    expect(entry(path).doc?.defaultText).toContain(words);
    expect(read(parseEnvironment({ ...validInput, ...change }))).toEqual(expected);
  });
});

describe("fix hints", () => {
  const fixOf = (input: unknown, path: string) => {
    try {
      parseEnvironment(input);
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.find((i) => i.path === path)?.fix;
    }
    throw new Error(`no error at ${path}`);
  };

  it("come from the field that is wrong", () => {
    expect(fixOf({ ...validInput, sip: { children: 99 } }, "sip.children")).toBe(entry("sip.children").doc!.hint);
    expect(
      fixOf({ ...validInput, monitoring: { logRetentionDays: { setup: 2 } } }, "monitoring.logRetentionDays.setup"),
    ).toMatch(/^use one of 1, 3, 5/);
  });

  it("of an array element are the element field's", () => {
    const input = { ...validInput, destinations: [{ host: "a.sip.twilio.com", port: 0 }] };
    expect(fixOf(input, "destinations[0].port")).toBe("use a port from 1 to 65535");
  });

  it("move with their field when it is renamed, and a schema two fields share keeps each field's words", () => {
    const shared = z.number();
    const fields = fieldsOf(
      z.strictObject({
        renamed: documented(shared, { hint: "first hint", about: "first" }),
        other: documented(shared.optional(), { hint: "second hint", about: "second" }),
        plain: documented(shared, { hint: "third hint", about: "third" }),
      }),
    );
    expect(fields.map((f) => [f.path, f.doc?.hint])).toEqual([
      ["renamed", "first hint"],
      ["other", "second hint"],
      ["plain", "third hint"],
    ]);
  });
});

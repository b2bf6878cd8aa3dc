// One way to run a command: every script declares its arguments here and gets `--help`, a
// one-line error with exit 2 for anything it does not know, and a clean message with exit 1
// for bad input (an environment, a policy violation). A stack trace means a bug.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { EnvironmentFile } from "../../config/environments";
import { EnvironmentFileError } from "../../config/config-error";
import { badInputLines } from "../../stacks/synth-failure";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** Placeholder of a string option's value in the help, e.g. `<file.md>`. */
  readonly value?: string;
  readonly short?: string;
  /** The values a string option accepts; anything else is a usage error naming them. */
  readonly choices?: readonly string[];
  /** A string option's value when it is not given (shown in the help). */
  readonly default?: string;
}

export interface CommandSpec {
  /** How it is run, e.g. `npm run plan` (arguments follow `--`). */
  readonly command: string;
  readonly summary: string;
  /**
   * Positional arguments: environments (`one`, `some`: one or more, `any`: none means all),
   * or a free-form list described by `arguments`. @default none accepted
   */
  readonly environments?: "one" | "some" | "any";
  /** Help text for positionals that are not environments, e.g. `<base-ref>`. */
  readonly arguments?: string;
  /**
   * How many free-form positionals `arguments` describes (after the environment, with
   * `environments: "one"`). @default [1, 1], or [0, 0] after an environment
   */
  readonly argumentCount?: readonly [number, number];
  /** Reads the environments without naming them on the command line (help lists them). */
  readonly readsEnvironments?: boolean;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
}

/** Input the command cannot take: printed as one line, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface ParsedCommand {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  /** The environments named (or all, for `any` with none named), in the order given. */
  readonly environments: readonly EnvironmentFile[];
}

/**
 * Where environments come from: config/environments, or the module named by
 * SIP_PROXY_ENVIRONMENTS (exporting `environments`), which tests use for broken input.
 */
export function loadEnvironmentFiles(): readonly EnvironmentFile[] {
  const override = process.env.SIP_PROXY_ENVIRONMENTS;
  if (!override)
    return (require("../../config/environments") as typeof import("../../config/environments")).environmentFiles;
  return environmentModule(override);
}

/** The environments a module exports as `environments` (synth's --environments, the tests). */
export function environmentModule(path: string): readonly EnvironmentFile[] {
  let loaded: { environments?: unknown };
  try {
    loaded = require(resolve(path)) as { environments?: unknown };
  } catch (error) {
    throw new EnvironmentFileError(path, `cannot be loaded: ${String((error as Error).message).split("\n")[0]}`);
  }
  if (!Array.isArray(loaded.environments)) throw new UsageError(`${path} does not export an \`environments\` array`);
  return loaded.environments.map((input: EnvironmentFile["input"], i: number) => ({ file: `${path}[${i}]`, input }));
}

const positionalHelp = (spec: CommandSpec) =>
  spec.environments === "one"
    ? `<environment>${spec.arguments ? ` ${spec.arguments}` : ""}`
    : spec.environments === "some"
      ? "<environment> [<environment> ...]"
      : spec.environments === "any"
        ? "[<environment> ...]"
        : (spec.arguments ?? "");

function helpText(spec: CommandSpec, names: readonly string[]): string {
  const options = Object.entries(spec.options ?? {}).map(([name, o]) => {
    const value = o.value ?? (o.choices ? o.choices.join("|") : "<value>");
    const flag = `--${name}${o.type === "string" ? ` ${value}` : ""}`;
    return `  ${flag.padEnd(28)} ${o.description}${o.default === undefined ? "" : ` (default ${o.default})`}`;
  });
  return [
    `usage: ${spec.command}${positionalHelp(spec) || spec.options ? " --" : ""}${positionalHelp(spec) ? ` ${positionalHelp(spec)}` : ""}${spec.options ? " [options]" : ""}`,
    "",
    spec.summary,
    ...(spec.environments || spec.readsEnvironments
      ? ["", `environments: ${names.join(", ")} (config/environments)`]
      : []),
    "",
    "options:",
    ...options,
    `  ${"--help".padEnd(28)} this text`,
    "",
    "examples:",
    ...spec.examples.map((e) => `  ${e}`),
  ].join("\n");
}

/** Parses argv against the spec; throws UsageError for anything it does not accept. */
function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(spec.options ?? {}).map(([name, o]) => [
          name,
          o.short === undefined ? { type: o.type } : { type: o.type, short: o.short },
        ]),
      ),
    });
  } catch (error) {
    // node's messages name the option and what is wrong; the rest of them is advice for code.
    throw new UsageError((error as Error).message.split(". ")[0].replace(/\.$/, ""));
  }
  const { positionals } = parsed;
  const values: Record<string, string | boolean | undefined> = { ...parsed.values };
  for (const [name, o] of Object.entries(spec.options ?? {})) {
    if (values[name] === undefined && o.default !== undefined) values[name] = o.default;
    const given = values[name];
    if (o.choices && typeof given === "string" && !o.choices.includes(given)) {
      throw new UsageError(`--${name} must be ${o.choices.join(" or ")}, not "${given}"`);
    }
  }
  if (!spec.environments) {
    const [min, max] = spec.argumentCount ?? (spec.arguments ? [1, 1] : [0, 0]);
    if (positionals.length < min) throw new UsageError(`expected ${spec.arguments}`);
    if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}"`);
    return { values, positionals, environments: [] };
  }
  const files = loadEnvironmentFiles();
  const names = files.map((f) => String(f.input.name));
  let extra: string[] = [];
  if (spec.environments === "one") {
    const [min, max] = spec.argumentCount ?? [0, 0];
    extra = positionals.slice(1);
    if (extra.length < min) throw new UsageError(`expected ${spec.arguments} after the environment`);
    if (extra.length > max) throw new UsageError(`unexpected argument "${extra[max]}"`);
    positionals.splice(1);
  }
  const unknown = positionals.filter((p) => !names.includes(p));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown environment${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `"${u}"`).join(", ")}; known: ${names.join(", ")}`,
    );
  }
  if (positionals.length === 0 && spec.environments !== "any") throw new UsageError("name an environment");
  if (positionals.length > 1 && spec.environments === "one") {
    throw new UsageError(`one environment at a time (got ${positionals.join(", ")})`);
  }
  const wanted = positionals.length > 0 ? positionals : names;
  return {
    values,
    positionals: [...positionals, ...extra],
    environments: wanted.map((name) => files[names.indexOf(name)]),
  };
}

/**
 * Runs a command: help, usage errors (exit 2), bad input (exit 1, the message only), the
 * command's own exit code otherwise.
 */
export function runCommand(spec: CommandSpec, main: (args: ParsedCommand) => number | Promise<number>): void {
  const finish = (code: number) => process.exit(code);
  const fail = (error: unknown): number => {
    if (error instanceof UsageError) {
      console.error(`${spec.command}: ${error.message} (see --help)`);
      return 2;
    }
    const lines = badInputLines(error);
    if (!lines) throw error;
    for (const line of lines) console.error(line);
    return 1;
  };
  let parsed: ParsedCommand | "help";
  try {
    parsed = parseCommand(spec, process.argv.slice(2));
    if (parsed === "help") {
      let names: string[] = [];
      try {
        names = loadEnvironmentFiles().map((f) => String(f.input.name));
      } catch {
        names = ["(config/environments cannot be read)"];
      }
      console.log(helpText(spec, names));
      return finish(0);
    }
  } catch (error) {
    return finish(fail(error));
  }
  Promise.resolve()
    .then(() => main(parsed as ParsedCommand))
    .then(finish, (error: unknown) => finish(fail(error)));
}

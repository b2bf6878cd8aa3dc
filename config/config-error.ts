/** One bad field of one environment. */
export interface ConfigIssue {
  /** Dotted field path as written in the environment file, e.g. `allowedSourceCidrs[1]`. */
  readonly path: string;
  /** The offending value (undefined when the field is missing). */
  readonly value: unknown;
  /** What is wrong. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
}

function show(value: unknown): string {
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The only error that bad environment input produces. Its message lists every bad field,
 * one per line, with the value and the fix, so an operator fixes them in one pass.
 */
export class ConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly issues: readonly ConfigIssue[],
    /** Checks that could not run because a setting they read is itself invalid. */
    readonly skipped: readonly string[] = [],
  ) {
    const lines = issues.map((i) => `  - ${i.path || "(environment)"} = ${show(i.value)}: ${i.problem}. Fix: ${i.fix}`);
    const count = issues.length === 1 ? "1 invalid setting" : `${issues.length} invalid settings`;
    const notRun = skipped.length > 0 ? [`  (not checked until those are fixed: ${skipped.join("; ")})`] : [];
    super(`Environment "${environment}" has ${count}:\n${[...lines, ...notRun].join("\n")}`);
    this.name = "ConfigError";
  }

  /** Field paths in the order reported; handy in tests and scripts. */
  get paths(): string[] {
    return this.issues.map((i) => i.path);
  }
}

/** Several environments are bad: every one of their errors, in one message. */
export class ConfigErrors extends ConfigError {
  constructor(readonly errors: readonly ConfigError[]) {
    super(
      errors.map((e) => e.environment).join(", "),
      errors.flatMap((e) => e.issues),
    );
    this.message = errors.map((e) => e.message).join("\n");
    this.name = "ConfigErrors";
  }
}

/** An environment file that cannot be loaded (a syntax error, no or several exports). */
export class EnvironmentFileError extends Error {
  override name = "EnvironmentFileError";
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

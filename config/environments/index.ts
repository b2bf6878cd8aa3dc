// Every environment this project synthesizes: each file in this folder (but this one)
// exports one environment, and becomes its own stack (`sip-proxy-<name>`) with its own
// Terraform state. Adding an environment is adding a file; nothing else lists them.
import { readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { EnvironmentFileError } from "../config-error";
import type { EnvironmentInput } from "../schema";

/** An environment and the file that declares it (named in errors, e.g. a duplicate name). */
export interface EnvironmentFile {
  /** Relative to the project root, e.g. `config/environments/prod.ts`. */
  readonly file: string;
  readonly input: EnvironmentInput;
}

function discover(): EnvironmentFile[] {
  const files = readdirSync(__dirname)
    .filter((f) => /^[a-z0-9-]+\.ts$/.test(f) && f !== "index.ts")
    .map((f) => basename(f, ".ts"));
  // By name, so the order (synth output, the PR workflow's jobs) never depends on the disk.
  files.sort((a, b) => a.localeCompare(b));
  return files.map((name) => {
    const file = relative(join(__dirname, "..", ".."), join(__dirname, `${name}.ts`));
    let exported: unknown[];
    try {
      exported = Object.values(require(join(__dirname, name)) as Record<string, unknown>);
    } catch (error) {
      throw new EnvironmentFileError(file, `cannot be loaded: ${String((error as Error).message).split("\n")[0]}`);
    }
    if (exported.length !== 1) {
      throw new EnvironmentFileError(
        file,
        `must export exactly one environment (it exports ${exported.length} values)`,
      );
    }
    const input = exported[0] as EnvironmentInput;
    // The PR workflow lists environments by file name (.github/workflows/pr-diff.yml).
    if (input?.name !== name) {
      throw new EnvironmentFileError(
        file,
        `declares environment "${String(input?.name)}": name the file after it (${String(input?.name)}.ts)`,
      );
    }
    return { file, input };
  });
}

export const environmentFiles: readonly EnvironmentFile[] = discover();
export const environments: readonly EnvironmentInput[] = environmentFiles.map((e) => e.input);

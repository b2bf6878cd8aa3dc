// Runs the package.json commands the way the tests need, for the commands and README tests.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";

const run = promisify(execFile);

export const PACKAGE_SCRIPTS = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
).scripts;

/** Commands for operators, with the program each one runs (tooling like jest or eslint is not). */
export const COMMANDS = Object.entries(PACKAGE_SCRIPTS)
  .map(([name, line]) => ({ name, program: /^(?:tsx|bash) ((?:scripts|bench)\/\S+)$/.exec(line)?.[1] }))
  .filter((c): c is { name: string; program: string } => c.program !== undefined && c.program !== "scripts/test.sh");

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command's program directly (no npm in between), with extra environment variables. */
export async function invoke(program: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const [bin, file] = program.endsWith(".ts")
    ? [join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), program]
    : ["bash", program];
  try {
    const { stdout, stderr } = await run(bin, [file, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      timeout: 120000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

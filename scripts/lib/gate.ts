// The policy gate, re-checked on the JSON a wrapper is about to plan or apply: that file must
// be exactly what the code synthesizes with the gate (a stale copy, a hand edit or an output
// written with the gate bypassed is refused).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { environments } from "../../config/environments";
import { buildApp } from "../../main";
import { PolicyViolationError, synthesizeChecked } from "../../stacks/policy";

/** Returns why `file` must not be used for environment `name`, or undefined when it may. */
export function recheckStackJson(name: string, file: string): string | undefined {
  if (!existsSync(file)) return `${file} does not exist; run \`npm run synth\``;
  const outdir = mkdtempSync(join(tmpdir(), "sip-proxy-gate-"));
  try {
    const { app, configs } = buildApp(
      environments.filter((e) => e.name === name),
      outdir,
    );
    synthesizeChecked(app);
    const fresh = JSON.parse(readFileSync(join(outdir, "stacks", configs[0].stackName, "cdk.tf.json"), "utf8"));
    if (!isDeepStrictEqual(fresh, JSON.parse(readFileSync(file, "utf8")))) {
      return `${file} is not what the code synthesizes now (stale, edited, or written past the policy gate); run \`npm run synth\``;
    }
    return undefined;
  } catch (error) {
    if (error instanceof PolicyViolationError) {
      return `the security policy rejects ${name}:\n${error.violations.map((v) => v.message).join("\n")}`;
    }
    throw error;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

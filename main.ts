// Entry point for cdktf (`cdktf synth|diff|deploy`, see cdktf.json) and `npm run synth`.
// Every environment is parsed before any stack is built, so a bad environment stops the
// run before anything is written.
import { App } from "cdktf";
import type { EnvironmentFile } from "./config/environments";
import { checkElasticIpQuotas } from "./config/elastic-ips";
import { parseEnvironments, type EnvironmentConfig } from "./config/schema";
import { installLockFiles } from "./stacks/lock-files";
import { checkNoStrandedLocalState } from "./stacks/state-guard";
import { synthesizeChecked } from "./stacks/policy";
import { SipProxyStack } from "./stacks/sip-proxy-stack";
import { orphanedStackOutputs } from "./stacks/stack-outputs";
import { reportFailedSynth, stackNamesOf, badInputLines } from "./stacks/synth-failure";

/**
 * Builds one stack per environment; throws ConfigError before building anything (also when
 * the environments' Elastic IPs exceed an account's quota).
 */
export function buildApp(
  inputs: readonly unknown[],
  outdir?: string,
  sources?: readonly string[],
): { app: App; configs: EnvironmentConfig[] } {
  const configs = parseEnvironments(inputs, sources);
  checkElasticIpQuotas(configs);
  checkNoStrandedLocalState(configs);
  const app = new App(outdir ? { outdir } : {});
  for (const cfg of configs) {
    new SipProxyStack(app, cfg.stackName, cfg);
  }
  return { app, configs };
}

if (require.main === module) {
  // `cdktf synth|diff|deploy` run this. The policy gate holds whatever the environment says
  // (see synthesizeChecked), and its message is the project's own. A failure ends as
  // `npm run synth`'s does (stacks/synth-failure.ts), so no earlier cdk.tf.json looks current.
  const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
  let stacks: string[] = [];
  try {
    // Loaded here, not imported, so that an unloadable environment file ends like any other
    // bad input instead of with a stack trace.
    const { environmentFiles } = require("./config/environments") as { environmentFiles: readonly EnvironmentFile[] };
    const inputs = environmentFiles.map((e) => e.input);
    stacks = stackNamesOf(inputs);
    const { app, configs } = buildApp(
      inputs,
      undefined,
      environmentFiles.map((e) => e.file),
    );
    synthesizeChecked(app);
    installLockFiles(
      app.outdir,
      configs.map((c) => c.stackName),
    );
    for (const folder of orphanedStackOutputs(app.outdir, stacks)) {
      console.error(`warning: ${folder} belongs to no configured environment; see README "Removing an environment"`);
    }
  } catch (error) {
    const lines = badInputLines(error);
    if (!lines) throw error;
    reportFailedSynth(lines, outdir, stacks);
    process.exit(1);
  }
}

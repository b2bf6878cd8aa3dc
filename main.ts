// Entry point for cdktf (`cdktf synth|diff|deploy`, see cdktf.json) and `npm run synth`.
// Every environment is parsed before any stack is built, so a bad environment stops the
// run before anything is written.
import { App } from "cdktf";
import { environmentFiles } from "./config/environments";
import { stackNameFor } from "./config/names";
import { checkElasticIpQuotas } from "./config/elastic-ips";
import { ConfigError, parseEnvironments, type EnvironmentConfig } from "./config/schema";
import { installLockFiles } from "./stacks/lock-files";
import { checkNoStrandedLocalState, StrandedStateError } from "./stacks/state-guard";
import { PolicyViolationError, synthesizeChecked } from "./stacks/policy";
import { SipProxyStack } from "./stacks/sip-proxy-stack";
import { orphanedStackOutputs, removeStackOutputs } from "./stacks/stack-outputs";

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
  // (see synthesizeChecked), and its message is the project's own. A failure removes every
  // environment's output, as `npm run synth` does, so no earlier cdk.tf.json looks current.
  const stacks = environmentFiles.map((e) => stackNameFor(String(e.input.name)));
  const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
  const fail = (lines: string[]): never => {
    for (const line of lines) console.error(line);
    for (const folder of removeStackOutputs(outdir, stacks)) console.error(`removed stale output ${folder}`);
    process.exit(1);
  };
  try {
    const { app, configs } = buildApp(
      environmentFiles.map((e) => e.input),
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
    if (error instanceof ConfigError || error instanceof StrandedStateError) fail([error.message]);
    if (error instanceof PolicyViolationError) {
      fail([
        ...error.violations.map((v) => v.message),
        "synth stopped by the security policy (stacks/policy.ts): fix the violations above",
      ]);
    }
    throw error;
  }
}

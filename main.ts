// Entry point for cdktf (`cdktf synth|diff|deploy`, see cdktf.json) and `npm run synth`.
// Every environment is parsed before any stack is built, so a bad environment stops the
// run before anything is written.
import { App } from "cdktf";
import { environments } from "./config/environments";
import { checkElasticIpQuotas } from "./config/elastic-ips";
import { ConfigError, parseEnvironments, type EnvironmentConfig } from "./config/schema";
import { installLockFiles } from "./stacks/lock-files";
import { checkNoStrandedLocalState, StrandedStateError } from "./stacks/state-guard";
import { PolicyViolationError, synthesizeChecked } from "./stacks/policy";
import { SipProxyStack } from "./stacks/sip-proxy-stack";

/**
 * Builds one stack per environment; throws ConfigError before building anything (also when
 * the environments' Elastic IPs exceed an account's quota).
 */
export function buildApp(inputs: readonly unknown[], outdir?: string): { app: App; configs: EnvironmentConfig[] } {
  const configs = parseEnvironments(inputs);
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
  // (see synthesizeChecked), and its message is the project's own.
  try {
    const { app, configs } = buildApp(environments);
    synthesizeChecked(app);
    installLockFiles(
      app.outdir,
      configs.map((c) => c.stackName),
    );
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    if (error instanceof StrandedStateError) {
      console.error(error.message);
      process.exit(1);
    }
    if (error instanceof PolicyViolationError) {
      for (const violation of error.violations) console.error(violation.message);
      console.error("synth stopped by the security policy (stacks/policy.ts): fix the violations above");
      process.exit(1);
    }
    throw error;
  }
}

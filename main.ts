// Entry point for cdktf (`cdktf synth|diff|deploy`, see cdktf.json) and `npm run synth`.
// Every environment is parsed before any stack is built, so a bad environment stops the
// run before anything is written.
import { App } from "cdktf";
import { environments } from "./config/environments";
import { checkElasticIpQuotas } from "./config/elastic-ips";
import { ConfigError, parseEnvironments, type EnvironmentConfig } from "./config/schema";
import { SipProxyStack } from "./stacks/sip-proxy-stack";

/**
 * Builds one stack per environment; throws ConfigError before building anything (also when
 * the environments' Elastic IPs exceed an account's quota).
 */
export function buildApp(inputs: readonly unknown[], outdir?: string): { app: App; configs: EnvironmentConfig[] } {
  const configs = parseEnvironments(inputs);
  checkElasticIpQuotas(configs);
  const app = new App(outdir ? { outdir } : {});
  for (const cfg of configs) {
    new SipProxyStack(app, cfg.stackName, cfg);
  }
  return { app, configs };
}

if (require.main === module) {
  try {
    buildApp(environments).app.synth();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

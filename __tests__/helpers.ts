import { Testing } from "cdktf";
import { ConfigError, parseEnvironment, type EnvironmentInput } from "../config/schema";
import { SipProxyStack } from "../stacks/sip-proxy-stack";
import type { StackJson } from "../scripts/lib/stack-json";

export interface SynthesizedStack {
  /** The JSON string the cdktf matchers take. */
  readonly text: string;
  readonly json: StackJson;
}

export function synthEnvironment(input: EnvironmentInput): SynthesizedStack {
  const cfg = parseEnvironment(input);
  const stack = new SipProxyStack(Testing.app(), cfg.stackName, cfg);
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text) as StackJson };
}

/** All resources of one Terraform type, by name. */
export function resourcesOf(json: StackJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

export function onlyResource(json: StackJson, type: string): Record<string, unknown> {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** The ConfigError parseEnvironment throws for `input`; fails the test when it accepts it. */
export function rejection(input: unknown): ConfigError {
  try {
    parseEnvironment(input);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError, but the input was accepted");
}

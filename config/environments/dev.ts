import type { EnvironmentInput } from "../schema";

/**
 * Development: one instance behind its own Elastic IP. Cheapest way to prove a call path;
 * the same SIP core as production.
 */
export const dev: EnvironmentInput = {
  name: "dev",
  region: "us-east-1",
  availabilityZones: ["us-east-1a"],
  architecture: "single",
  destinationDomain: "example-dev.sip.twilio.com",
  tags: { Owner: "voice-team" },
  logLevel: "info",
};

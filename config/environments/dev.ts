import type { EnvironmentInput } from "../schema";
import { PLACEHOLDER_ACCOUNT_SID } from "../twilio";

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
  // Replace with the SID of the Twilio account whose numbers dial the proxy.
  sourceAccountSids: [PLACEHOLDER_ACCOUNT_SID],
  tags: { Owner: "voice-team" },
  logLevel: "info",
};

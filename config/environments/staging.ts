import type { EnvironmentInput } from "../schema";
import { PLACEHOLDER_ACCOUNT_SID } from "../twilio";

/**
 * Staging: the production architecture at the smallest useful size, in one zone. Proves
 * NLB, NAT egress and rolling refreshes before prod sees a change.
 */
export const staging: EnvironmentInput = {
  name: "staging",
  region: "us-east-1",
  availabilityZones: ["us-east-1a"],
  architecture: "load-balanced",
  vpcCidr: "10.20.0.0/16",
  destinationDomain: "example-staging.sip.twilio.com",
  // Two edges of the same domain: the proxy tries one address per name, so a second name is
  // what lets a call move on when the first edge is silent or failing (Carrier resilience).
  destinations: [
    { host: "example-staging.sip.ashburn.twilio.com" },
    { host: "example-staging.sip.umatilla.twilio.com" },
  ],
  // Replace with the SID of the Twilio account whose numbers dial the proxy.
  sourceAccountSids: [PLACEHOLDER_ACCOUNT_SID],
  natGateways: "single",
  autoscaling: { min: 2, max: 4 },
  tags: { Owner: "voice-team" },
  // Shared, locked state in S3 (S3 lock file, Terraform >= 1.10). Create the bucket once with
  // \`npm run bootstrap-state -- staging\`; moving existing local state: README "State".
  stateBackend: { bucket: "voice-team-sip-proxy-state-staging" },
};

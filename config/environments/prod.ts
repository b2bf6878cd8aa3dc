import type { EnvironmentInput } from "../schema";
import { PLACEHOLDER_HOSTED_ZONE } from "../dns";
import { PLACEHOLDER_ACCOUNT_SID } from "../twilio";

/**
 * Production: three zones, 2..10 proxies behind one NLB. One NAT gateway per zone, so a
 * zone outage leaves the other zones' egress working; the destination's IP ACL therefore
 * lists three NAT addresses (output `twilio_ip_acl`).
 */
export const prod: EnvironmentInput = {
  name: "prod",
  // Its own account: prod needs 6 Elastic IPs (3 NLB, 3 NAT), more than AWS's default quota
  // of 5, and must not share one with dev and staging (config/accounts.ts).
  account: "prod",
  region: "us-east-1",
  availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
  architecture: "load-balanced",
  vpcCidr: "10.30.0.0/16",
  destinationDomain: "example-prod.sip.twilio.com",
  // Two edges of the same domain: the proxy tries one address per name, so a second name is
  // what lets a call move on when the first edge is silent or failing (Carrier resilience).
  destinations: [{ host: "example-prod.sip.ashburn.twilio.com" }, { host: "example-prod.sip.umatilla.twilio.com" }],
  // Replace with the SID of the Twilio account whose numbers dial the proxy.
  sourceAccountSids: [PLACEHOLDER_ACCOUNT_SID],
  // Twilio dials, and Kamailio advertises, a name whose A record lists all three NLB Elastic
  // IPs, so an impaired zone's address is not the only way in (README "Ingress across zones").
  // Replace the placeholder with your public Route 53 zone and a name in it.
  dns: { name: `sip.prod.${PLACEHOLDER_HOSTED_ZONE}`, hostedZone: PLACEHOLDER_HOSTED_ZONE },
  natGateways: "per-az",
  autoscaling: { min: 2, desired: 2, max: 10 },
  tags: { Owner: "voice-team" },
  // Shared, locked state in S3 (S3 lock file, Terraform >= 1.10). Create the bucket once with
  // \`npm run bootstrap-state -- prod\`; moving existing local state: README "State".
  stateBackend: { bucket: "voice-team-sip-proxy-state-prod" },
  sip: { peakCallsPerSecond: 2000 },
};

// Environments for the `npm run lab` test (SIP_PROXY_ENVIRONMENTS points the command here):
// dev as shipped, and dev with each other destination transport.
import { dev } from "../../config/environments/dev";
import type { EnvironmentInput } from "../../config/schema";

const withTransport = (name: string, transport: "tcp" | "tls"): EnvironmentInput => ({
  ...dev,
  name,
  destinations: [{ host: "example-dev.sip.twilio.com", port: transport === "tls" ? 5061 : 5060 }],
  sip: { destinationTransport: transport },
});

export const environments: readonly EnvironmentInput[] = [
  dev,
  withTransport("devtcp", "tcp"),
  withTransport("devtls", "tls"),
];

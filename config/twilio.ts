// Twilio's SIP signaling gateways: the only addresses Twilio sends SIP from. One /30 per edge,
// from Twilio's "IP Addresses for Elastic SIP Trunking Services" page, section "Regional
// Signaling IP Gateways", which says: "You MUST allow ALL of Twilio's following IP address
// ranges and ports on your firewall for SIP signaling traffic ... for resiliency purposes
// (e.g. if North America Virginia gateways are down, then North America Oregon gateways will
// be used)." Every edge is admitted, always; environments can only add ranges.
// 168.86.128.0/18 on the same page is Twilio's media range: RTP never touches this proxy.

export const TWILIO_SIGNALING_SOURCE = {
  page: "https://www.twilio.com/docs/sip-trunking/ip-addresses#regional-signaling-ip-gateways",
  checked: "2026-11-23",
} as const;

/** Edge name (as in `<name>.sip.<edge>.twilio.com`) → its signaling /30. */
export const TWILIO_SIGNALING_EDGES = {
  ashburn: "54.172.60.0/30",
  umatilla: "54.244.51.0/30",
  dublin: "54.171.127.192/30",
  frankfurt: "35.156.191.128/30",
  tokyo: "54.65.63.192/30",
  singapore: "54.169.127.128/30",
  sydney: "54.252.254.64/30",
  "sao-paulo": "177.71.206.192/30",
} as const satisfies Record<string, string>;

export type TwilioEdge = keyof typeof TWILIO_SIGNALING_EDGES;

/** Every edge's signaling range, in the order above. */
export const TWILIO_SIGNALING_CIDRS: readonly string[] = Object.freeze(Object.values(TWILIO_SIGNALING_EDGES));

/** The widest range an environment may add (an Interconnect, a test box): a /24. */
export const WIDEST_ADDED_SOURCE_PREFIX = 24;

/**
 * How Twilio writes an Account SID: "AC" and 32 lowercase hex digits. Twilio adds the calling
 * account's SID as `X-Twilio-AccountSid` to every INVITE it sends for `<Dial><Sip>`, and
 * refuses custom headers whose name begins with `X-Twilio` (warning 32113, "Header name is
 * not allowed"), so behind the source-address check the header names the calling account.
 */
export const ACCOUNT_SID_PATTERN = /^AC[0-9a-f]{32}$/;
/** The header the account lock reads. */
export const ACCOUNT_SID_HEADER = "X-Twilio-AccountSid";
/** `sourceAccountSids: "any"`: relay calls from every Twilio account (warned at every synth). */
export const ANY_ACCOUNT = "any";
/** The obviously fake SID the shipped environments carry until an operator replaces it. */
export const PLACEHOLDER_ACCOUNT_SID = `AC${"0".repeat(32)}`;

/**
 * The SIP domain a destination host belongs to: Twilio serves each domain under edge-localized
 * names too (`acme.sip.ashburn.twilio.com` is `acme.sip.twilio.com` reached through Ashburn),
 * and the IP Access Control List is set once per domain. Non-Twilio hosts are their own domain.
 */
export function twilioSipDomainOf(host: string): string {
  const match = /^([a-z0-9-]+)\.sip(\.[a-z0-9-]+)?\.twilio\.com$/.exec(host.split(":")[0]);
  return match ? `${match[1]}.sip.twilio.com` : host.split(":")[0];
}

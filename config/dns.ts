// The DNS name of an environment's ingress: what Twilio dials and Kamailio advertises when an
// address alone would tie calls to one zone. No cdktf here (the schema and the stack share it).

/**
 * The hosted zone the shipped multi-zone environment (prod) carries until an operator writes
 * their own: example.net is reserved for documentation (RFC 2606, section 3), so no real
 * Route 53 zone of an account can be meant by it. Synth warns about it every time.
 */
export const PLACEHOLDER_HOSTED_ZONE = "example.net";

/**
 * Names nobody can own: RFC 2606 (example, example.com/.net/.org, test, invalid, localhost)
 * and RFC 6761 (the same special-use names). A zone under one of them is a placeholder.
 */
const RESERVED_DOMAINS = ["example", "example.com", "example.net", "example.org", "test", "invalid", "localhost"];

/** True for a name at or below one of the reserved domains above. */
export function isReservedDomain(name: string): boolean {
  return RESERVED_DOMAINS.some((reserved) => isInZone(name, reserved));
}

/** True when `name` is the zone's apex or a name below it (`sip.example.net` in `example.net`). */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * TTL of the ingress A record. Short, because the answer is what moves calls: when the set of
 * NLB addresses changes (a zone added, or an impaired zone's address taken out of the record
 * by hand during an incident), resolvers that cached the old set keep sending Twilio there
 * for up to one TTL. Route 53 charges per query; at 60 s a caching resolver asks at most once a
 * minute. The addresses themselves are Elastic IPs, so the answer is otherwise stable.
 */
export const INGRESS_DNS_TTL_SECONDS = 60;

import { Construct } from "constructs";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { INGRESS_DNS_TTL_SECONDS } from "../config/dns";
import { ConstructError } from "./construct-error";

export interface IngressDnsProps {
  /** The name Twilio dials and Kamailio advertises, e.g. `sip.prod.example.com`. */
  readonly name: string;
  /**
   * Every public address of the ingress (one Elastic IP per NLB zone). All of them go into
   * one A record, so a client that cannot reach one address can try the next.
   */
  readonly addresses: readonly string[];
  /**
   * The public hosted zone holding `name`, looked up by name. Give this or hostedZoneId.
   * @default none — hostedZoneId is used
   */
  readonly hostedZone?: string;
  /** The hosted zone's id. Give this or hostedZone. @default none — hostedZone is looked up */
  readonly hostedZoneId?: string;
  /** @default INGRESS_DNS_TTL_SECONDS (60) — see config/dns.ts for why it is short. */
  readonly ttl?: number;
}

/**
 * The ingress's DNS name: one A record listing every public address. Route 53 returns all
 * values of a simple record in each answer ("Simple routing policy": "If you specify multiple
 * values in a record, Route 53 returns all values to the recursive resolver in random order").
 * Nothing here health-checks the addresses: an impaired zone's address stays in the answer,
 * and moving on to the next one is the SIP client's job (RFC 3263, section 4.3).
 */
export class IngressDns extends Construct {
  readonly record: Route53Record;
  /** The zone lookup, when the zone is given by name. */
  readonly zone?: DataAwsRoute53Zone;

  constructor(scope: Construct, id: string, props: IngressDnsProps) {
    super(scope, id);
    if (props.addresses.length === 0) throw new ConstructError(this, "needs at least one address");
    if ((props.hostedZone === undefined) === (props.hostedZoneId === undefined)) {
      throw new ConstructError(this, "needs exactly one of hostedZone and hostedZoneId");
    }
    if (props.hostedZone !== undefined) {
      // Public only: Twilio resolves the name on the internet, and a private zone of the same
      // name (split horizon) would otherwise make the lookup ambiguous.
      this.zone = new DataAwsRoute53Zone(this, "zone", { name: props.hostedZone, privateZone: false });
    }
    // Id "Default": the record keeps the address aws_route53_record.dns it had when the stack
    // created it itself, so existing deployments update it in place.
    this.record = new Route53Record(this, "Default", {
      zoneId: this.zone?.zoneId ?? props.hostedZoneId!,
      name: props.name,
      type: "A",
      ttl: props.ttl ?? INGRESS_DNS_TTL_SECONDS,
      records: [...props.addresses],
    });
  }
}

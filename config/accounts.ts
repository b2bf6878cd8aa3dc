// The AWS accounts the environments deploy to, by label (an environment's `account`), and the
// Elastic IP quota of each per region. AWS's default is 5 Elastic IPs per region per account
// ("Elastic IP address quota": "By default, all AWS accounts have a quota of five (5) Elastic
// IP addresses per Region"); raise it with a Service Quotas request for "EC2-VPC Elastic IPs"
// (quota code L-0263D0A3) and record the approved value here.

/** AWS's default Elastic IP quota per account and region. */
export const DEFAULT_ELASTIC_IP_QUOTA = 5;

/** Approved Elastic IP quotas, by account label and region; the default where not listed. */
export const ELASTIC_IP_QUOTAS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // prod's own account: 3 NLB + 3 NAT addresses. Request 10 (room for one zone more and a
  // spare) before the first deploy of prod.
  prod: { "us-east-1": 10 },
};

// Elastic IP pre-flight: AWS allocates at most the account's quota per region, and a deploy
// that needs more fails half-way, after creating part of the stack. The environments' own
// addresses are summed per account and region before anything is synthesized. Only this
// project's addresses are counted: other Elastic IPs in the account use the same quota.
import { DEFAULT_ELASTIC_IP_QUOTA, ELASTIC_IP_QUOTAS } from "./accounts";
import { ConfigError } from "./config-error";
import type { EnvironmentConfig } from "./schema";

/**
 * Elastic IPs a stack allocates: single, one (ingress and egress); load-balanced, one per NLB
 * zone plus one per NAT gateway (one, or one per zone).
 */
export function elasticIpCount(cfg: EnvironmentConfig): number {
  if (!cfg.loadBalancing) return 1;
  const zones = cfg.publicSubnets.length;
  return zones + (cfg.loadBalancing.natGateways === "per-az" ? zones : 1);
}

export function elasticIpQuota(
  account: string,
  region: string,
  quotas: Readonly<Record<string, Readonly<Record<string, number>>>> = ELASTIC_IP_QUOTAS,
): number {
  return quotas[account]?.[region] ?? DEFAULT_ELASTIC_IP_QUOTA;
}

/** Throws a ConfigError when an account and region would need more Elastic IPs than its quota. */
export function checkElasticIpQuotas(
  configs: readonly EnvironmentConfig[],
  quotas: Readonly<Record<string, Readonly<Record<string, number>>>> = ELASTIC_IP_QUOTAS,
): void {
  const groups = new Map<string, EnvironmentConfig[]>();
  for (const cfg of configs) {
    const key = `${cfg.account}\u0000${cfg.region}`;
    groups.set(key, [...(groups.get(key) ?? []), cfg]);
  }
  for (const members of groups.values()) {
    const { account, region } = members[0];
    const total = members.reduce((sum, cfg) => sum + elasticIpCount(cfg), 0);
    const quota = elasticIpQuota(account, region, quotas);
    if (total <= quota) continue;
    const who = members.map((cfg) => `${cfg.name} ${elasticIpCount(cfg)}`).join(", ");
    throw new ConfigError(members[members.length - 1].name, [
      {
        path: "account",
        value: account,
        problem: `account "${account}" would need ${total} Elastic IPs in ${region} (${who}; this project's addresses only, other Elastic IPs in the account count too), above its quota of ${quota}; the deploy would fail half-way with AddressLimitExceeded`,
        fix: `request a higher "EC2-VPC Elastic IPs" quota (Service Quotas, code L-0263D0A3) for that account in ${region} and record the approved value in config/accounts.ts, or give the environment its own \`account\``,
      },
    ]);
  }
}

// The Elastic IP pre-flight: a deploy that needs more addresses than the account's quota
// would fail half-way, so synth refuses it.
import { environments } from "../../config/environments";
import { checkElasticIpQuotas, elasticIpCount } from "../../config/elastic-ips";
import { ConfigError, parseEnvironment } from "../../config/schema";
import { buildApp } from "../../main";
import { loadBalancedInput, tlsInput } from "../fixtures/environments";
import { resourcesOf, synthEnvironment } from "../helpers";

const byName = (name: string) => environments.find((e) => e.name === name)!;

describe("Elastic IP pre-flight", () => {
  it("counts exactly the Elastic IPs each stack allocates", () => {
    for (const input of [...environments, loadBalancedInput, tlsInput]) {
      const eips = Object.keys(resourcesOf(synthEnvironment(input).json, "aws_eip")).length;
      expect({ env: input.name, count: elasticIpCount(parseEnvironment(input)) }).toEqual({
        env: input.name,
        count: eips,
      });
    }
  });

  it("passes the shipped environments: prod has its own account with a raised quota", () => {
    expect(() => buildApp(environments)).not.toThrow();
    expect(elasticIpCount(parseEnvironment(byName("prod")))).toBe(6);
  });

  it("refuses prod sharing the default account with dev and staging, and says what to request", () => {
    const shared = environments.map((e) => (e.name === "prod" ? { ...e, account: undefined } : e));
    let error: ConfigError | undefined;
    try {
      buildApp(shared);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain(
      'account "default" would need 9 Elastic IPs in us-east-1 (dev 1, prod 6, staging 2; this project\'s addresses only',
    );
    expect(error!.message).toContain("above its quota of 5");
    expect(error!.message).toContain('"EC2-VPC Elastic IPs" quota (Service Quotas, code L-0263D0A3)');
  });

  it("refuses prod alone at AWS's default quota", () => {
    const prod = parseEnvironment(byName("prod"));
    expect(() => checkElasticIpQuotas([prod], {})).toThrow(
      /would need 6 Elastic IPs in us-east-1 \(prod 6;.*above its quota of 5/,
    );
  });

  it("counts per account and per region", () => {
    const staging = parseEnvironment(byName("staging"));
    const three = ["a", "b", "c"].map((s) => ({ ...staging, name: `staging-${s}` }));
    expect(() => checkElasticIpQuotas(three, {})).toThrow(/would need 6/);
    expect(() => checkElasticIpQuotas([three[0], three[1], { ...three[2], account: "other" }], {})).not.toThrow();
    expect(() => checkElasticIpQuotas([three[0], three[1], { ...three[2], region: "us-west-2" }], {})).not.toThrow();
  });
});

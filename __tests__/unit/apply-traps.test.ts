// Defects that only an apply against AWS would show, caught at synth: names that block a
// replacement, names over AWS's limits, instance types and regions that do not exist.
import { Testing } from "cdktf";
import { environments } from "../../config/environments";
import { ConfigError, parseEnvironment, type EnvironmentInput } from "../../config/schema";
import { AWS_NAME_LIMITS } from "../../constructs/aws-names";
import { ConstructError } from "../../constructs/construct-error";
import { SipProxyStack } from "../../stacks/sip-proxy-stack";
import { loadBalancedInput, tlsInput } from "../fixtures/environments";
import { resourcesOf, synthEnvironment } from "../helpers";

const longest: EnvironmentInput = { ...tlsInput, name: "a-twenty-char-name-x" };

describe("replacements that AWS must be able to carry out", () => {
  const stacks = [...environments, loadBalancedInput, tlsInput, longest].map((e) => synthEnvironment(e));

  it("never gives a fixed name to a resource created before its old copy is destroyed", () => {
    // With create_before_destroy both copies exist at once; EC2 refuses a second security
    // group of the same name in a VPC (InvalidGroup.Duplicate), ELB a second target group.
    for (const { json } of stacks) {
      for (const [type, byName] of Object.entries(json.resource ?? {})) {
        for (const [name, body] of Object.entries(byName)) {
          const lifecycle = body.lifecycle as { create_before_destroy?: boolean } | undefined;
          if (!lifecycle?.create_before_destroy) continue;
          expect({ address: `${type}.${name}`, name: body.name }).toEqual({
            address: `${type}.${name}`,
            name: undefined,
          });
        }
      }
    }
  });

  it("names the security group by prefix", () => {
    const group = Object.values(resourcesOf(stacks[0].json, "aws_security_group"))[0];
    expect(group).toMatchObject({ name_prefix: "sip-proxy-dev-sip-", lifecycle: { create_before_destroy: true } });
  });

  it("lets a target group be replaced (its port forces a new one) while the listener uses it", () => {
    const tls = stacks[stacks.length - 2].json;
    const groups = Object.values(resourcesOf(tls, "aws_lb_target_group"));
    expect(groups).toHaveLength(2);
    for (const group of groups) {
      expect(group.lifecycle).toEqual({ create_before_destroy: true });
      expect(group.name).toBeUndefined();
      expect(String(group.name_prefix).length).toBeLessThanOrEqual(AWS_NAME_LIMITS.targetGroupPrefix);
    }
  });

  it("never renames the Auto Scaling group, launch template or NLB", () => {
    const staging = synthEnvironment(environments.find((e) => e.name === "staging")!).json;
    const names = ["aws_autoscaling_group", "aws_launch_template", "aws_lb"].map(
      (type) => Object.values(resourcesOf(staging, type))[0].name,
    );
    expect(names).toEqual(["sip-proxy-staging", "sip-proxy-staging", "sip-proxy-staging"]);
  });
});

describe("AWS's name limits", () => {
  it("holds for the longest environment name the config allows", () => {
    const { json } = synthEnvironment(longest);
    const limits: Record<string, number> = {
      aws_lb: AWS_NAME_LIMITS.loadBalancer,
      aws_lb_target_group: AWS_NAME_LIMITS.targetGroup,
      aws_iam_role: AWS_NAME_LIMITS.iamRole,
      aws_iam_instance_profile: AWS_NAME_LIMITS.instanceProfile,
      aws_launch_template: AWS_NAME_LIMITS.launchTemplate,
      aws_autoscaling_group: AWS_NAME_LIMITS.autoScalingGroup,
    };
    for (const [type, limit] of Object.entries(limits)) {
      for (const body of Object.values(resourcesOf(json, type))) {
        if (body.name !== undefined) expect(String(body.name).length).toBeLessThanOrEqual(limit);
      }
    }
  });

  it("fails at synth, naming the construct, when a built name is too long", () => {
    const cfg = parseEnvironment(longest);
    const tooLong = { ...cfg, stackName: `${cfg.stackName}-with-more-text` };
    expect(() => new SipProxyStack(Testing.app(), "x", tooLong)).toThrow(ConstructError);
    expect(() => new SipProxyStack(Testing.app(), "x", tooLong)).toThrow(
      /loadBalancer name ".*" has 45 characters; AWS allows at most 32/,
    );
  });
});

describe("instance types and regions that exist", () => {
  const problems = (input: unknown) => {
    try {
      parseEnvironment(input);
      return [];
    } catch (error) {
      return (error as ConfigError).issues.map((i) => `${i.path}: ${i.problem}`);
    }
  };

  it("refuses an instance type AWS does not have", () => {
    expect(problems({ ...environments[0], instanceType: "t3.mega" })).toEqual([
      "instanceType: is not an x86_64 EC2 instance type (config/aws-data.json lists the known ones)",
    ]);
  });

  it("refuses a region AWS does not have, also for the state bucket", () => {
    expect(problems({ ...environments[0], region: "eu-central-9", availabilityZones: ["eu-central-9a"] })).toEqual([
      "region: is not an AWS region (config/aws-data.json lists the known ones)",
    ]);
    expect(problems({ ...environments[0], stateBackend: { bucket: "my-state", region: "us-east-7" } })).toEqual([
      "stateBackend.region: is not an AWS region (config/aws-data.json lists the known ones)",
    ]);
  });

  it("accepts real ones", () => {
    expect(problems({ ...environments[0], instanceType: "c7i.large" })).toEqual([]);
    expect(
      problems({ ...loadBalancedInput, region: "eu-west-1", availabilityZones: ["eu-west-1a", "eu-west-1b"] }),
    ).toEqual([]);
  });
});

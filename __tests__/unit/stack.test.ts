import { environments } from "../../config/environments";
import { resourceAddresses } from "../../scripts/lib/stack-json";
import { SINGLE_INSTANCE_ADDRESSES } from "../../stacks/state-addresses";
import { contrastingInput } from "../fixtures/environments";
import { resourcesOf, synthEnvironment } from "../helpers";

// The single-instance stack's reviewed state addresses live in stacks/state-addresses.ts, which
// the deploy rehearsal also checks applied state against.

/** Types that cannot carry tags in the AWS provider. */
const UNTAGGABLE = new Set([
  "aws_cloudwatch_dashboard",
  "aws_cloudwatch_log_metric_filter",
  "aws_sns_topic_subscription",
  "aws_sns_topic_policy",
  "aws_route",
  "aws_route_table_association",
  "aws_eip_association",
  "aws_iam_role_policy_attachment",
  "aws_iam_role_policy",
]);

describe("SipProxyStack", () => {
  const dev = synthEnvironment(environments[0]);

  it("keeps the single-instance state addresses stable", () => {
    expect(resourceAddresses(dev.json)).toEqual(SINGLE_INSTANCE_ADDRESSES);
  });

  it("tags every resource with Project, Environment and ManagedBy through the provider", () => {
    const provider = (dev.json.provider?.aws as Array<{ default_tags: Array<{ tags: Record<string, string> }> }>)[0];
    expect(provider.default_tags[0].tags).toEqual({
      Owner: "voice-team",
      Project: "sip-proxy",
      Environment: "dev",
      ManagedBy: "cdktf",
    });
  });

  it("names every taggable resource after its stack", () => {
    for (const [type, byName] of Object.entries(dev.json.resource ?? {})) {
      if (UNTAGGABLE.has(type)) continue;
      for (const [name, resource] of Object.entries(byName)) {
        const tags = resource.tags as Record<string, string> | undefined;
        if (type.startsWith("aws_iam_")) continue; // IAM resources carry their name in `name`
        expect({ address: `${type}.${name}`, name: tags?.Name }).toEqual({
          address: `${type}.${name}`,
          name: expect.stringMatching(/^sip-proxy-dev/),
        });
      }
    }
  });

  it("tags instances and volumes launched from the template, which default tags do not reach", () => {
    const template = Object.values(resourcesOf(dev.json, "aws_launch_template"))[0];
    const specs = template.tag_specifications as Array<{ resource_type: string; tags: Record<string, string> }>;
    expect(specs.map((s) => s.resource_type)).toEqual(["instance", "volume", "network-interface"]);
    for (const spec of specs) {
      expect(spec.tags).toMatchObject({
        Project: "sip-proxy",
        Environment: "dev",
        ManagedBy: "cdktf",
        Name: "sip-proxy-dev",
      });
    }
  });

  it("has the outputs an operator needs, each with a description", () => {
    const outputs = dev.json.output ?? {};
    expect(Object.keys(outputs).sort()).toEqual(
      [
        ...["console_access", "elastic_ip", "instance_id", "next_steps", "private_ip", "twilio_ip_acl", "twiml"],
        ...["ingress_ips", "egress_ips"],
        ...["alerts_topic_arn", "critical_alerts_topic_arn", "dashboard_url", "log_groups"],
      ].sort(),
    );
    for (const [name, output] of Object.entries(outputs)) {
      expect({ name, description: output.description }).toEqual({ name, description: expect.stringMatching(/\w{3,}/) });
    }
    expect(outputs.twiml.value).toBe(
      "<Response><Dial><Sip>sip:EXTENSION@${aws_eip.proxy_ingress.public_ip}:5060</Sip></Dial></Response>",
    );
    // Lists in both architectures: one address here.
    expect(outputs.twilio_ip_acl.value).toEqual(["${aws_eip.proxy_ingress.public_ip}/32"]);
    expect(outputs.ingress_ips.value).toEqual(["${aws_eip.proxy_ingress.public_ip}"]);
    expect(outputs.egress_ips.value).toEqual(["${aws_eip.proxy_ingress.public_ip}"]);
  });

  it("keeps local state in the project root by default", () => {
    expect(dev.json.terraform?.backend).toEqual({ local: { path: "../../../terraform.sip-proxy-dev.tfstate" } });
  });

  it("uses an encrypted, locked S3 backend with a key per environment when configured", () => {
    const withS3 = synthEnvironment(contrastingInput);
    expect(withS3.json.terraform?.backend).toEqual({
      s3: {
        bucket: "acme-terraform-state",
        key: "voice/sip-proxy/contrast/terraform.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
    const other = synthEnvironment({ ...contrastingInput, name: "other" });
    expect((other.json.terraform?.backend as { s3: { key: string } }).s3.key).toBe(
      "voice/sip-proxy/other/terraform.tfstate",
    );
  });

  it("writes no credentials or offline-only provider flags into the stack", () => {
    for (const { text } of [dev, synthEnvironment(contrastingInput)]) {
      expect(text).not.toMatch(
        /access_key|secret_key|skip_credentials_validation|skip_requesting_account_id|skip_metadata_api_check/,
      );
    }
  });

  it("has no data sources, so plans need no AWS account", () => {
    expect(JSON.parse(dev.text).data).toBeUndefined();
  });
});

describe("Elastic IP protection", () => {
  const eips = (input: Parameters<typeof synthEnvironment>[0]) =>
    Object.entries(resourcesOf(synthEnvironment(input).json, "aws_eip")).map(([name, eip]) => [
      name,
      (eip.lifecycle as { prevent_destroy?: boolean } | undefined)?.prevent_destroy ?? false,
    ]);

  it("protects every Elastic IP with prevent_destroy by default", () => {
    for (const input of environments) {
      const found = eips(input);
      expect(found.length).toBeGreaterThan(0);
      expect(found.filter(([, protectedIp]) => !protectedIp)).toEqual([]);
    }
  });

  it("lifts the protection only when the environment says so explicitly", () => {
    const prod = environments.find((e) => e.name === "prod")!;
    const found = eips({ ...prod, name: "teardown", allowElasticIpDestroy: true });
    expect(found).toHaveLength(6);
    expect(found.every(([, protectedIp]) => protectedIp === false)).toBe(true);
  });
});

describe("the image every environment launches", () => {
  it.each(environments.map((e) => [e.name, e] as const))(
    "%s launches Debian 13 amd64 from Debian's public parameter, sizing its /dev/xvda root",
    (_name, input) => {
      const template = Object.values(resourcesOf(synthEnvironment(input).json, "aws_launch_template"))[0];
      expect(template.image_id).toBe("resolve:ssm:/aws/service/debian/release/13/latest/amd64");
      const devices = template.block_device_mappings as Array<{ device_name: string; ebs: Record<string, unknown> }>;
      expect(devices.map((d) => d.device_name)).toEqual(["/dev/xvda"]);
      expect(devices[0].ebs).toMatchObject({ encrypted: "true", volume_type: "gp3" });
    },
  );

  it("launches a pinned AMI when an environment names one", () => {
    const template = Object.values(
      resourcesOf(
        synthEnvironment({ ...environments[0], imageId: "ami-0123456789abcdef0" }).json,
        "aws_launch_template",
      ),
    )[0];
    expect(template.image_id).toBe("ami-0123456789abcdef0");
  });
});

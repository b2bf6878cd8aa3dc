import { TWILIO_EDGES_PUBLISHED } from "../fixtures/twilio-edges";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { EipAssociation } from "@cdktf/provider-aws/lib/eip-association";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { contrastingInput, validInput } from "../fixtures/environments";
import { onlyResource, resourcesOf, synthEnvironment } from "../helpers";

type Rule = { protocol: string; from_port: number; to_port: number; cidr_blocks: string[] };

describe("SipInstance", () => {
  const single = synthEnvironment(validInput);

  it("opens SIP over UDP and TCP to the allowed Twilio ranges and nothing else", () => {
    const sg = onlyResource(single.json, "aws_security_group");
    const ingress = sg.ingress as Rule[];
    expect(ingress.map((r) => [r.protocol, r.from_port, r.to_port, r.cidr_blocks])).toEqual([
      ["udp", 5060, 5060, TWILIO_EDGES_PUBLISHED],
      ["tcp", 5060, 5060, TWILIO_EDGES_PUBLISHED],
    ]);
  });

  it("adds an SSH rule only when an SSH range is configured", () => {
    const withSsh = synthEnvironment(contrastingInput);
    const ingress = onlyResource(withSsh.json, "aws_security_group").ingress as Rule[];
    expect(ingress.filter((r) => r.from_port === 22).map((r) => r.cidr_blocks)).toEqual([["203.0.113.10/32"]]);
    expect(ingress.filter((r) => r.from_port === 5080)).toHaveLength(2);
    const noSsh = onlyResource(single.json, "aws_security_group").ingress as Rule[];
    expect(noSsh.some((r) => r.from_port <= 22 && r.to_port >= 22)).toBe(false);
  });

  it("grants SSM Session Manager, and writing to the environment's two log groups and the session log only", () => {
    expect(single.text).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    });
    const attached = Object.values(resourcesOf(single.json, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn);
    expect(attached).toEqual(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
    const policy = JSON.parse(
      resourcesOf(single.json, "aws_iam_role_policy").proxy_template_role_ship_logs.policy as string,
    );
    const group = (name: string) => `arn:aws:logs:us-east-1:\${aws_vpc.vpc.owner_id}:log-group:/sip-proxy/test/${name}`;
    const session = "arn:aws:logs:us-east-1:${aws_vpc.vpc.owner_id}:log-group:/sip-proxy/session-manager";
    expect(policy.Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [
          group("kamailio"),
          `${group("kamailio")}:log-stream:*`,
          group("setup"),
          `${group("setup")}:log-stream:*`,
          session,
          `${session}:log-stream:*`,
        ],
      },
      {
        Effect: "Allow",
        Action: "logs:DescribeLogGroups",
        Resource: "arn:aws:logs:us-east-1:${aws_vpc.vpc.owner_id}:log-group:*",
      },
    ]);
  });

  it("launches Debian 13 amd64 with IMDSv2 only and an encrypted 20 GB gp3 root volume", () => {
    expect(single.text).toHaveResourceWithProperties(LaunchTemplate, {
      image_id: "resolve:ssm:/aws/service/debian/release/13/latest/amd64",
      instance_type: "t3.small",
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
      block_device_mappings: [
        {
          device_name: "/dev/xvda",
          ebs: { volume_size: 20, volume_type: "gp3", encrypted: "true", delete_on_termination: "true" },
        },
      ],
    });
  });

  it("runs the instance from the launch template's latest version", () => {
    const instance = onlyResource(single.json, "aws_instance");
    expect(instance.launch_template).toEqual({
      id: "${aws_launch_template.proxy_template.id}",
      version: "${aws_launch_template.proxy_template.latest_version}",
    });
  });

  it("allocates the Elastic IP on its own and attaches it with an association", () => {
    expect(onlyResource(single.json, "aws_eip")).toMatchObject({ domain: "vpc" });
    expect(single.text).toHaveResourceWithProperties(EipAssociation, {
      allocation_id: "${aws_eip.proxy_ingress.allocation_id}",
      instance_id: "${aws_instance.proxy.id}",
    });
  });

  it("replaces the instance by creating the new one first and moving the address to it", () => {
    expect(onlyResource(single.json, "aws_instance").lifecycle).toEqual({ create_before_destroy: true });
    const association = onlyResource(single.json, "aws_eip_association");
    expect(association.lifecycle).toEqual({ create_before_destroy: true });
    expect(association.allow_reassociation).toBe(true);
  });

  it("advertises the Elastic IP in the Kamailio config it boots with", () => {
    const template = onlyResource(single.json, "aws_launch_template");
    expect(template.user_data).toBe("${base64gzip(local.proxy_template_user_data)}");
    const script = single.json.locals?.proxy_template_user_data as string;
    expect(script).toContain('#!substdef "!ADVERTISED_ADDRESS!${aws_eip.proxy_ingress.public_ip}!g"');
  });
});

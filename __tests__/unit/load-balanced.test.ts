import { TWILIO_EDGES_PUBLISHED } from "../fixtures/twilio-edges";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { environments } from "../../config/environments";
import { resourceAddresses } from "../../scripts/lib/stack-json";
import { REVIEWED_ADDRESSES } from "../../stacks/state-addresses";
import { loadBalancedInput, tlsInput } from "../fixtures/environments";
import { onlyResource, resourcesOf, synthEnvironment } from "../helpers";

type Rule = {
  protocol: string;
  from_port: number;
  to_port: number;
  cidr_blocks?: string[];
  security_groups?: string[];
};

const byName = (name: string) => environments.find((e) => e.name === name)!;

describe("load-balanced architecture", () => {
  const lb = synthEnvironment(loadBalancedInput);
  const prod = synthEnvironment(byName("prod"));
  const staging = synthEnvironment(byName("staging"));

  it("puts an internet-facing NLB in the public subnets with one Elastic IP per subnet", () => {
    expect(lb.text).toHaveResourceWithProperties(Lb, {
      load_balancer_type: "network",
      internal: false,
      enable_cross_zone_load_balancing: true,
      subnet_mapping: [
        {
          subnet_id: "${aws_subnet.vpc_public_us_west_2a.id}",
          allocation_id: "${aws_eip.proxy_nlb_us_west_2a.allocation_id}",
        },
        {
          subnet_id: "${aws_subnet.vpc_public_us_west_2b.id}",
          allocation_id: "${aws_eip.proxy_nlb_us_west_2b.allocation_id}",
        },
      ],
    });
    expect(onlyResource(staging.json, "aws_lb").enable_cross_zone_load_balancing).toBe(false);
  });

  it("forwards SIP over UDP and TCP to one target group with TCP health checks, stickiness and a short drain", () => {
    expect(lb.text).toHaveResourceWithProperties(LbListener, {
      port: 5070,
      protocol: "TCP_UDP",
      default_action: [{ type: "forward", target_group_arn: "${aws_lb_target_group.proxy_targets.arn}" }],
    });
    expect(lb.text).toHaveResourceWithProperties(LbTargetGroup, {
      port: 5070,
      protocol: "TCP_UDP",
      target_type: "instance",
      deregistration_delay: "30",
      connection_termination: true,
      stickiness: { type: "source_ip", enabled: true },
      health_check: {
        protocol: "TCP",
        port: "5070",
        interval: 10,
        timeout: 5,
        healthy_threshold: 2,
        unhealthy_threshold: 2,
      },
    });
  });

  it("runs the group in the private subnets with ELB health checks and the configured sizes", () => {
    expect(lb.text).toHaveResourceWithProperties(AutoscalingGroup, {
      min_size: 3,
      desired_capacity: 4,
      max_size: 6,
      health_check_type: "ELB",
      health_check_grace_period: 400,
      vpc_zone_identifier: ["${aws_subnet.vpc_private_us_west_2a.id}", "${aws_subnet.vpc_private_us_west_2b.id}"],
      target_group_arns: ["${aws_lb_target_group.proxy_targets.arn}"],
      metrics_granularity: "1Minute",
    });
    expect(onlyResource(lb.json, "aws_autoscaling_group").lifecycle).toBeUndefined();
    const group = onlyResource(prod.json, "aws_autoscaling_group");
    expect([group.min_size, group.desired_capacity, group.max_size]).toEqual([2, 2, 10]);
    expect(group.enabled_metrics).toEqual(
      expect.arrayContaining(["GroupDesiredCapacity", "GroupInServiceInstances", "GroupMaxSize"]),
    );
    const stagingGroup = onlyResource(staging.json, "aws_autoscaling_group");
    expect([stagingGroup.min_size, stagingGroup.desired_capacity, stagingGroup.max_size]).toEqual([2, 2, 4]);
  });

  it("refreshes instances on a new launch template version, launching before terminating, rolling back on alarm", () => {
    const group = onlyResource(lb.json, "aws_autoscaling_group");
    expect(group.launch_template).toEqual({
      id: "${aws_launch_template.proxy_template.id}",
      version: "${aws_launch_template.proxy_template.latest_version}",
    });
    expect(group.instance_refresh).toEqual({
      strategy: "Rolling",
      preferences: {
        min_healthy_percentage: 100,
        max_healthy_percentage: 200,
        instance_warmup: "400",
        auto_rollback: true,
        alarm_specification: { alarms: ["sip-proxy-lbtest-unhealthy-targets", "sip-proxy-lbtest-answer-rate"] },
      },
    });
    const alarms = Object.values(resourcesOf(lb.json, "aws_cloudwatch_metric_alarm")).map((a) => a.alarm_name);
    expect(alarms).toEqual(
      expect.arrayContaining(["sip-proxy-lbtest-unhealthy-targets", "sip-proxy-lbtest-answer-rate"]),
    );
  });

  it("holds a terminating instance for its drain: a hook sized from the ring and transaction timers, completed by the instance", () => {
    // 30 s deregistration delay + (90 s ring + 6 s transaction) + 2 polls of 5 s.
    expect(onlyResource(lb.json, "aws_autoscaling_lifecycle_hook")).toEqual({
      name: "sip-proxy-drain",
      autoscaling_group_name: "${aws_autoscaling_group.proxy.name}",
      lifecycle_transition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeat_timeout: 136,
      default_result: "CONTINUE",
    });
    const policies = Object.values(resourcesOf(lb.json, "aws_iam_role_policy")).map((p) =>
      JSON.parse(p.policy as string),
    );
    expect(policies).toContainEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "autoscaling:CompleteLifecycleAction",
          Resource: "${aws_autoscaling_group.proxy.arn}",
        },
      ],
    });
    const userData = lb.json.locals?.proxy_template_user_data as string;
    expect(userData).toContain("Environment=SIP_PROXY_DRAIN_GROUP=sip-proxy-lbtest\n");
    expect(userData).toContain("systemctl enable --now sip-proxy-drain");
  });

  it("has no scaling policy: averages cannot move a pinned flow, so the group stays at its configured size", () => {
    expect(resourcesOf(lb.json, "aws_autoscaling_policy")).toEqual({});
  });

  it("gives instances no public address", () => {
    const template = onlyResource(lb.json, "aws_launch_template");
    expect(template.network_interfaces).toBeUndefined();
    for (const subnet of Object.values(resourcesOf(lb.json, "aws_subnet"))) {
      expect(subnet.map_public_ip_on_launch).toBe(false);
    }
    expect(resourcesOf(lb.json, "aws_instance")).toEqual({});
  });

  it("admits SIP at the NLB from the Twilio ranges only, and at the instances from the NLB's group only", () => {
    const groups = resourcesOf(lb.json, "aws_security_group");
    const nlb = groups.proxy_nlb_sg;
    expect((nlb.ingress as Rule[]).map((r) => [r.protocol, r.from_port, r.to_port, r.cidr_blocks])).toEqual([
      ["udp", 5070, 5070, [...TWILIO_EDGES_PUBLISHED, "192.0.2.0/28"]],
      ["tcp", 5070, 5070, [...TWILIO_EDGES_PUBLISHED, "192.0.2.0/28"]],
    ]);
    // Health checks obey the NLB's outbound rules only: forwarding and checks, into the VPC.
    expect((nlb.egress as Rule[]).map((r) => [r.protocol, r.from_port, r.to_port, r.cidr_blocks])).toEqual([
      ["udp", 5070, 5070, ["10.40.0.0/16"]],
      ["tcp", 5070, 5070, ["10.40.0.0/16"]],
    ]);
    expect(onlyResource(lb.json, "aws_lb").security_groups).toEqual(["${aws_security_group.proxy_nlb_sg.id}"]);
    const instances = groups.proxy_sg.ingress as Array<Rule & { security_groups?: string[] }>;
    expect(instances.map((r) => [r.protocol, r.from_port, r.to_port, r.cidr_blocks, r.security_groups])).toEqual([
      ["udp", 5070, 5070, null, ["${aws_security_group.proxy_nlb_sg.id}"]],
      ["tcp", 5070, 5070, null, ["${aws_security_group.proxy_nlb_sg.id}"]],
    ]);
    for (const stack of [lb, prod, staging]) {
      const rules = Object.values(resourcesOf(stack.json, "aws_security_group")).flatMap((g) => g.ingress as Rule[]);
      expect(rules.flatMap((r) => r.cidr_blocks ?? [])).not.toContain("0.0.0.0/0");
    }
  });

  it("creates one NAT gateway for 'single' and one per zone for 'per-az', each private subnet routed to one", () => {
    expect(Object.keys(resourcesOf(staging.json, "aws_nat_gateway"))).toEqual(["vpc_nat_us_east_1a_gateway"]);
    expect(Object.keys(resourcesOf(prod.json, "aws_nat_gateway"))).toEqual([
      "vpc_nat_us_east_1a_gateway",
      "vpc_nat_us_east_1b_gateway",
      "vpc_nat_us_east_1c_gateway",
    ]);
    const routes = Object.entries(resourcesOf(prod.json, "aws_route"))
      .filter(([name]) => name.startsWith("vpc_private_"))
      .map(([name, r]) => [name, r.nat_gateway_id]);
    expect(routes).toEqual([
      ["vpc_private_us_east_1a_egress", "${aws_nat_gateway.vpc_nat_us_east_1a_gateway.id}"],
      ["vpc_private_us_east_1b_egress", "${aws_nat_gateway.vpc_nat_us_east_1b_gateway.id}"],
      ["vpc_private_us_east_1c_egress", "${aws_nat_gateway.vpc_nat_us_east_1c_gateway.id}"],
    ]);
    const single = synthEnvironment({ ...byName("prod"), name: "prodsingle", natGateways: "single" });
    const singleRoutes = Object.values(resourcesOf(single.json, "aws_route"))
      .map((r) => r.nat_gateway_id)
      .filter(Boolean);
    expect(singleRoutes).toEqual(Array(3).fill("${aws_nat_gateway.vpc_nat_us_east_1a_gateway.id}"));
  });

  it("advertises the NLB's only Elastic IP in one zone, and the DNS name in several", () => {
    expect(staging.json.locals?.proxy_template_user_data as string).toContain(
      '#!substdef "!ADVERTISED_ADDRESS!${aws_eip.proxy_nlb_us_east_1a.public_ip}!g"',
    );
    const script = lb.json.locals?.proxy_template_user_data as string;
    expect(script).toContain('#!substdef "!ADVERTISED_ADDRESS!sip.lbtest.voice-fixture.net!g"');
    expect(script).not.toContain("proxy_nlb");
    expect(onlyResource(lb.json, "aws_route53_record")).toMatchObject({
      zone_id: "${data.aws_route53_zone.dns_zone.zone_id}",
      name: "sip.lbtest.voice-fixture.net",
      type: "A",
      ttl: 60,
      records: ["${aws_eip.proxy_nlb_us_west_2a.public_ip}", "${aws_eip.proxy_nlb_us_west_2b.public_ip}"],
    });
    expect(lb.json.output?.twiml.value).toBe(
      '<Response><Dial><Sip username="lb-proxy" password="PASSWORD_FROM_SSM">sip:EXTENSION@sip.lbtest.voice-fixture.net:5070</Sip></Dial></Response>',
    );
  });

  it("creates the record in a zone given by id without looking the zone up", () => {
    const tls = synthEnvironment(tlsInput);
    expect(tls.json.data).toBeUndefined();
    expect(onlyResource(tls.json, "aws_route53_record")).toMatchObject({
      zone_id: "Z0123456789ABC",
      name: "sip.tlstest.example.org",
      records: ["${aws_eip.proxy_nlb_us_east_1a.public_ip}", "${aws_eip.proxy_nlb_us_east_1b.public_ip}"],
    });
  });

  it("tells the operator to whitelist the NAT addresses, never the NLB address", () => {
    const outputs = prod.json.output!;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        ...[
          "asg_name",
          "nat_gateway_ips",
          "next_steps",
          "nlb_elastic_ips",
          "target_group_arn",
          "twilio_ip_acl",
          "twiml",
          "ingress_ips",
          "egress_ips",
        ],
        ...["alerts_topic_arn", "critical_alerts_topic_arn", "dashboard_url", "log_groups"],
      ].sort(),
    );
    for (const [name, output] of Object.entries(outputs)) {
      expect({ name, description: output.description }).toEqual({ name, description: expect.stringMatching(/\w{3,}/) });
    }
    expect(outputs.twilio_ip_acl.value).toEqual([
      "${aws_eip.vpc_nat_us_east_1a.public_ip}/32",
      "${aws_eip.vpc_nat_us_east_1b.public_ip}/32",
      "${aws_eip.vpc_nat_us_east_1c.public_ip}/32",
    ]);
    expect(JSON.stringify(outputs.twilio_ip_acl.value)).not.toContain("proxy_nlb");
    expect(outputs.egress_ips.value).toEqual(
      (outputs.twilio_ip_acl.value as string[]).map((e) => e.replace("/32", "")),
    );
    expect(JSON.stringify(outputs.ingress_ips.value)).toContain("proxy_nlb_us_east_1a");
    expect(outputs.next_steps.value).toMatch(/Do NOT add the NLB IP/);
    expect(outputs.twiml.value).toContain("sip:EXTENSION@sip.prod.example.net:5060");
    expect(outputs.twiml.value).not.toContain("proxy_nlb");
  });

  it("keeps the load-balanced state addresses stable", () => {
    // The reviewed list (stacks/state-addresses.ts) is also what the deploy rehearsal holds
    // applied state to.
    expect(resourceAddresses(staging.json)).toEqual(REVIEWED_ADDRESSES.staging);
    // prod is the same set with three zones: per-zone resources triple, the rest stay single.
    const perZone = resourceAddresses(prod.json).filter((a) => /us_east_1[abc]/.test(a));
    expect(perZone).toHaveLength(3 * 9);
    // ... plus the ingress name's A record (a multi-zone NLB needs one); the two scaling
    // policies are gone (a fixed group), the drain's hook and permission and the emptied
    // default security group came.
    // Issue 16: the NLB's security group, the adopted default network ACL, the flow log with its
    // role, policy and two metric filters; the instance role's log policy replaces the managed
    // CloudWatch agent policy.
    expect(resourceAddresses(prod.json).filter((a) => !a.includes(".monitoring_"))).toHaveLength(53);
    expect(resourceAddresses(prod.json)).toContain("aws_route53_record.dns");
  });
});

describe("TLS towards the destination", () => {
  const tls = synthEnvironment(tlsInput);
  const lb = synthEnvironment(loadBalancedInput);

  it("opens the TLS port to the Twilio ranges at the NLB and to the NLB's group at the instances, and nothing else new", () => {
    const groups = resourcesOf(tls.json, "aws_security_group");
    const tlsRules = (rules: unknown) =>
      (rules as Array<Rule & { security_groups?: string[] }>).filter((r) => r.from_port === 5061);
    expect(tlsRules(groups.proxy_nlb_sg.ingress).map((r) => [r.protocol, r.cidr_blocks])).toEqual([
      ["tcp", TWILIO_EDGES_PUBLISHED],
    ]);
    expect(tlsRules(groups.proxy_nlb_sg.egress).map((r) => [r.protocol, r.cidr_blocks])).toEqual([
      ["tcp", ["10.0.0.0/16"]],
    ]);
    expect(tlsRules(groups.proxy_sg.ingress).map((r) => [r.protocol, r.security_groups])).toEqual([
      ["tcp", ["${aws_security_group.proxy_nlb_sg.id}"]],
    ]);
  });

  it("passes TLS through the NLB to a TCP target group that the group registers with", () => {
    const listeners = Object.values(resourcesOf(tls.json, "aws_lb_listener")).map((l) => [l.port, l.protocol]);
    expect(listeners).toEqual([
      [5060, "TCP_UDP"],
      [5061, "TCP"],
    ]);
    expect(tls.text).toHaveResourceWithProperties(LbTargetGroup, {
      port: 5061,
      protocol: "TCP",
      health_check: {
        protocol: "TCP",
        port: "5061",
        interval: 10,
        timeout: 5,
        healthy_threshold: 2,
        unhealthy_threshold: 2,
      },
    });
    expect(onlyResource(tls.json, "aws_autoscaling_group").target_group_arns).toEqual([
      "${aws_lb_target_group.proxy_targets.arn}",
      "${aws_lb_target_group.proxy_tls_targets.arn}",
    ]);
  });

  it("builds TLS into the instance: module, certificate, client verification, and the Kamailio switch", () => {
    const script = tls.json.locals?.proxy_template_user_data as string;
    expect(script).toContain("install kamailio logrotate kamailio-tls-modules");
    expect(script).toContain("verify_certificate = yes");
    expect(script).toContain("ca_list = /etc/ssl/certs/ca-certificates.crt");
    expect(script).toContain("#!define WITH_TLS");
    expect(script).toContain(
      '#!define DESTINATIONS "acme.sip.ashburn.twilio.com:5061,acme.sip.umatilla.twilio.com:5061"',
    );
    const udp = lb.json.locals?.proxy_template_user_data as string;
    expect(udp).not.toContain("kamailio-tls-modules");
    expect(udp).not.toContain("#!define WITH_TLS");
  });
});

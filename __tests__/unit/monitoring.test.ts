import { environments } from "../../config/environments";
import { NODE_STAT_METRICS, NODE_STAT_PATTERN, SIP_METRIC_FILTERS, filterPattern } from "../../constructs/monitoring";
import { matchSpaceDelimited, metricValue } from "../../lab/metric-filter-model";
import { resourcesOf, synthEnvironment } from "../helpers";

type Alarm = Record<string, unknown> & { alarm_actions: string[]; ok_actions: string[] };
const byName = (name: string) => environments.find((e) => e.name === name)!;
const ALERTS = "${aws_sns_topic.monitoring_alerts.arn}";
const CRITICAL = "${aws_sns_topic.monitoring_critical.arn}";

function alarms(json: ReturnType<typeof synthEnvironment>["json"]): Record<string, Alarm> {
  return Object.fromEntries(
    Object.entries(resourcesOf(json, "aws_cloudwatch_metric_alarm")).map(([name, a]) => [
      name.replace(/^monitoring_/, ""),
      a as Alarm,
    ]),
  );
}

const shape = (a: Alarm) => ({
  namespace: a.namespace,
  metric: a.metric_name,
  statistic: a.statistic,
  period: a.period,
  evaluationPeriods: a.evaluation_periods,
  threshold: a.threshold,
  comparison: a.comparison_operator,
  dimensions: a.dimensions,
  actions: a.alarm_actions,
});

describe("Monitoring, load-balanced", () => {
  const prod = synthEnvironment(byName("prod"));
  const staging = synthEnvironment(byName("staging"));
  const a = alarms(prod.json);
  const targets = {
    LoadBalancer: "${aws_lb.proxy_nlb.arn_suffix}",
    TargetGroup: "${aws_lb_target_group.proxy_targets.arn_suffix}",
  };
  const asg = { AutoScalingGroupName: "${aws_autoscaling_group.proxy.name}" };

  it("alarms on any unhealthy target for 2 minutes", () => {
    expect(shape(a.unhealthy_targets)).toEqual({
      namespace: "AWS/NetworkELB",
      metric: "UnHealthyHostCount",
      statistic: "Average",
      period: 60,
      evaluationPeriods: 2,
      threshold: 0,
      comparison: "GreaterThanThreshold",
      dimensions: targets,
      actions: [ALERTS],
    });
  });

  it("alarms when healthy targets drop below the group minimum", () => {
    expect(shape(a.healthy_below_minimum)).toMatchObject({
      metric: "HealthyHostCount",
      period: 60,
      evaluationPeriods: 2,
      threshold: 2,
      comparison: "LessThanThreshold",
      dimensions: targets,
      actions: [ALERTS],
    });
  });

  it("pages critical when no target is healthy, also when the NLB reports nothing", () => {
    expect(shape(a.no_healthy_targets)).toMatchObject({
      metric: "HealthyHostCount",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparison: "LessThanOrEqualToThreshold",
      dimensions: targets,
      actions: [CRITICAL],
    });
    expect(a.no_healthy_targets.treat_missing_data).toBe("breaching");
  });

  it("alarms on average CPU above 80 % for 15 minutes across the group", () => {
    expect(shape(a.cpu_high)).toEqual({
      namespace: "AWS/EC2",
      metric: "CPUUtilization",
      statistic: "Average",
      period: 300,
      evaluationPeriods: 3,
      threshold: 80,
      comparison: "GreaterThanThreshold",
      dimensions: asg,
      actions: [ALERTS],
    });
  });

  it("derives the near-maximum threshold from the configured sizes", () => {
    expect(shape(a.near_max_capacity)).toMatchObject({
      namespace: "AWS/AutoScaling",
      metric: "GroupDesiredCapacity",
      period: 300,
      evaluationPeriods: 2,
      threshold: 8, // prod: max 10
      comparison: "GreaterThanOrEqualToThreshold",
      dimensions: asg,
    });
    // staging runs 2..4: max - 2 would equal the minimum and alarm forever.
    expect(alarms(staging.json).near_max_capacity.threshold).toBe(3);
  });

  it("sends every alarm's OK notification to the topic of its alarm", () => {
    for (const [name, alarm] of Object.entries(a)) {
      expect({ name, ok: alarm.ok_actions }).toEqual({ name, ok: [alarm.alarm_actions.at(-1)] });
    }
  });

  it("builds a dashboard of this environment's resources and region", () => {
    const dashboard = Object.values(resourcesOf(prod.json, "aws_cloudwatch_dashboard"))[0];
    const body = JSON.parse(dashboard.dashboard_body as string) as {
      widgets: Array<{ properties: Record<string, unknown> }>;
    };
    const text = JSON.stringify(body);
    expect(body.widgets.map((w) => w.properties.title)).toEqual(
      expect.arrayContaining([
        "Target health",
        "Auto Scaling capacity",
        "CPU",
        "NLB flows (UDP and TCP)",
        "SIP replies by class",
        "408 timeouts and failovers (destination silent or failing)",
        "Refused by the proxy (403 by reason) and banned sources",
      ]),
    );
    expect(body.widgets.every((w) => w.properties.region === "us-east-1")).toBe(true);
    for (const ref of [
      "${aws_lb.proxy_nlb.arn_suffix}",
      "${aws_lb_target_group.proxy_targets.arn_suffix}",
      "${aws_autoscaling_group.proxy.name}",
      "SipProxy/prod",
    ]) {
      expect(text).toContain(ref);
    }
  });
});

describe("Monitoring, single instance", () => {
  const dev = synthEnvironment(byName("dev"));
  const a = alarms(dev.json);
  const instance = { InstanceId: "${aws_instance.proxy.id}" };

  it("recovers the instance on a failed system status check and alerts", () => {
    expect(shape(a.system_status)).toEqual({
      namespace: "AWS/EC2",
      metric: "StatusCheckFailed_System",
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 2,
      threshold: 0,
      comparison: "GreaterThanThreshold",
      dimensions: instance,
      actions: ["arn:aws:automate:us-east-1:ec2:recover", ALERTS],
    });
  });

  it("alerts on a failed instance status check and on high CPU", () => {
    expect(shape(a.instance_status)).toMatchObject({
      metric: "StatusCheckFailed_Instance",
      dimensions: instance,
      actions: [ALERTS],
    });
    expect(shape(a.cpu_high)).toMatchObject({
      metric: "CPUUtilization",
      threshold: 80,
      dimensions: instance,
      actions: [ALERTS],
    });
  });

  it("pages critical when 408s exceed the threshold in 5 minutes (the INC-979 signal)", () => {
    expect(shape(a.destination_timeouts)).toEqual({
      namespace: "SipProxy/dev",
      metric: "Timeouts408",
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 5,
      comparison: "GreaterThanThreshold",
      dimensions: undefined,
      actions: [CRITICAL],
    });
  });

  it("alerts when the answered share of new INVITEs falls below the threshold with enough volume", () => {
    const alarm = a.answer_rate;
    expect([alarm.threshold, alarm.comparison_operator, alarm.evaluation_periods, alarm.alarm_actions]).toEqual([
      40,
      "LessThanThreshold",
      2,
      [ALERTS],
    ]);
    const queries = alarm.metric_query as Array<Record<string, unknown>>;
    expect(queries.map((q) => (q.metric as Record<string, unknown> | undefined)?.metric_name ?? q.expression)).toEqual([
      "NewInvites",
      "AnsweredInvites",
      "IF(invites >= 10, 100 * answered / invites, 100)",
    ]);
  });

  it("takes thresholds from the environment's config", () => {
    const custom = synthEnvironment({
      ...byName("dev"),
      name: "custom",
      monitoring: {
        timeoutAlarmThreshold: 20,
        answerRateAlarmPercent: 55,
        answerRateMinInvites: 30,
        cpuAlarmPercent: 70,
        logRetentionDays: { kamailio: 7, setup: 90 },
      },
    });
    const c = alarms(custom.json);
    expect([c.destination_timeouts.threshold, c.answer_rate.threshold, c.cpu_high.threshold]).toEqual([20, 55, 70]);
    expect((c.answer_rate.metric_query as Array<{ expression?: string }>)[2].expression).toContain("invites >= 30");
    const groups = Object.values(resourcesOf(custom.json, "aws_cloudwatch_log_group"));
    expect(groups.map((g) => [g.name, g.retention_in_days]).sort()).toEqual([
      ["/sip-proxy/custom/kamailio", 7],
      ["/sip-proxy/custom/setup", 90],
      ["/sip-proxy/custom/vpc-flow-logs", 14],
    ]);
  });

  it("turns SIPLOG lines into one metric per filter in the environment's namespace", () => {
    const filters = Object.values(resourcesOf(dev.json, "aws_cloudwatch_log_metric_filter")).filter(
      (f) =>
        f.log_group_name === "${aws_cloudwatch_log_group.monitoring_kamailio_logs.name}" &&
        !((f.metric_transformation as Record<string, string>).name in NODE_STAT_METRICS),
    );
    expect(filters.map((f) => [(f.metric_transformation as Record<string, string>).name, f.pattern]).sort()).toEqual(
      Object.entries(SIP_METRIC_FILTERS)
        .map(([name, terms]) => [name, filterPattern(terms)])
        .sort(),
    );
    for (const f of filters) {
      expect(f.log_group_name).toBe("${aws_cloudwatch_log_group.monitoring_kamailio_logs.name}");
      expect(f.metric_transformation).toMatchObject({ namespace: "SipProxy/dev", value: "1", default_value: "0" });
    }
  });

  it("takes shared memory and transactions from the SIPSTAT line's fields: no default, no dimensions", () => {
    const filters = Object.values(resourcesOf(dev.json, "aws_cloudwatch_log_metric_filter")).filter(
      (f) => (f.metric_transformation as Record<string, string>).name in NODE_STAT_METRICS,
    );
    expect(filters.map((f) => [f.name, f.log_group_name, f.pattern, f.metric_transformation]).sort()).toEqual([
      [
        "sip-proxy-dev-ActiveTransactions",
        "${aws_cloudwatch_log_group.monitoring_kamailio_logs.name}",
        NODE_STAT_PATTERN,
        { name: "ActiveTransactions", namespace: "SipProxy/dev", value: "$transactions", unit: "Count" },
      ],
      [
        "sip-proxy-dev-SharedMemoryUsedPercent",
        "${aws_cloudwatch_log_group.monitoring_kamailio_logs.name}",
        '[..., tag="SIPSTAT", shm_used_percent_name="shm_used_percent", shm_used_percent>=0, transactions_name="transactions", transactions>=0]',
        { name: "SharedMemoryUsedPercent", namespace: "SipProxy/dev", value: "$shm_used_percent", unit: "Percent" },
      ],
    ]);
  });

  // A model of CloudWatch's space-delimited matching (lab/metric-filter-model.ts); the SIP
  // tests run it on lines a real Kamailio and the real publisher wrote.
  it("gets both numbers from a SIPSTAT line as the journal exports it, and nothing from other lines", () => {
    const values = (line: string) =>
      Object.values(NODE_STAT_METRICS).map(({ field }) => {
        const extracted = matchSpaceDelimited(NODE_STAT_PATTERN, line);
        return extracted && metricValue(`$${field}`, extracted);
      });
    const prefix = "2026-11-23T14:17:47.844316+00:00 ip-10-0-1-23 kamailio[11300]:";
    expect(values(`${prefix} SIPSTAT shm_used_percent 42.5 transactions 17`)).toEqual([42.5, 17]);
    expect(values(`${prefix} SIPSTAT error=rpc-unanswered`)).toEqual([undefined, undefined]);
    expect(values(`${prefix} SIPLOG event=drain state=waiting instance=i-1 transactions=3 seconds=12`)).toEqual([
      undefined,
      undefined,
    ]);
    // name=value, as SIPLOG lines are written: the field would be "shm_used_percent=42.5", no number.
    expect(values(`${prefix} SIPSTAT shm_used_percent=42.5 transactions=17`)).toEqual([undefined, undefined]);
  });

  it("alerts when any instance's shared memory stays over 80 % for 5 minutes, and says what to do", () => {
    for (const alarmsOf of [a, alarms(synthEnvironment(byName("prod")).json)]) {
      const alarm = alarmsOf.shared_memory_high;
      expect({ ...shape(alarm), datapoints: alarm.datapoints_to_alarm, missing: alarm.treat_missing_data }).toEqual({
        namespace: expect.stringMatching(/^SipProxy\/(dev|prod)$/),
        metric: "SharedMemoryUsedPercent",
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 5,
        threshold: 80,
        comparison: "GreaterThanThreshold",
        dimensions: undefined,
        actions: [ALERTS],
        datapoints: 5,
        missing: "notBreaching",
      });
      const description = alarm.alarm_description as string;
      expect(description.length).toBeLessThanOrEqual(1024);
      for (const hint of ["500", "kamcmd core.shmmem", "@logStream", "restart", "sip.peakCallsPerSecond"]) {
        expect(description).toContain(hint);
      }
    }
  });

  it("shows shared memory and transactions on the dashboard", () => {
    const dashboard = Object.values(resourcesOf(dev.json, "aws_cloudwatch_dashboard"))[0];
    const widgets = (
      JSON.parse(dashboard.dashboard_body as string) as {
        widgets: Array<{ properties: { title: string; metrics: unknown[][] } }>;
      }
    ).widgets;
    const widget = widgets.find((w) => w.properties.title.startsWith("Kamailio shared memory used"));
    expect(widget?.properties.metrics.map((m) => m.slice(0, 2))).toEqual([
      ["SipProxy/dev", "SharedMemoryUsedPercent"],
      ["SipProxy/dev", "ActiveTransactions"],
    ]);
  });

  it("encrypts both topics with a key CloudWatch may use, and subscribes the configured emails", () => {
    const withEmail = synthEnvironment({
      ...byName("dev"),
      name: "mailed",
      monitoring: { alertEmails: ["oncall@example.com"] },
    });
    const topics = Object.values(resourcesOf(withEmail.json, "aws_sns_topic"));
    expect(topics.map((t) => [t.name, t.kms_master_key_id])).toEqual([
      ["sip-proxy-mailed-alerts", "${aws_kms_key.monitoring_topics_key.arn}"],
      ["sip-proxy-mailed-critical-alerts", "${aws_kms_key.monitoring_topics_key.arn}"],
    ]);
    const key = resourcesOf(withEmail.json, "aws_kms_key").monitoring_topics_key;
    expect(key.enable_key_rotation).toBe(true);
    expect(key.policy as string).toContain('"Service":"cloudwatch.amazonaws.com"');
    const emails = Object.values(resourcesOf(withEmail.json, "aws_sns_topic_subscription")).filter(
      (s) => s.protocol === "email",
    );
    expect(emails.map((s) => [s.topic_arn, s.endpoint])).toEqual([
      [ALERTS, "oncall@example.com"],
      [CRITICAL, "oncall@example.com"],
    ]);
  });

  it("has no paging variable or subscription where an environment turns paging off", () => {
    const quiet = synthEnvironment({ ...byName("dev"), monitoring: { paging: false } });
    expect((quiet.json as { variable?: object }).variable).toBeUndefined();
    const protocols = Object.values(resourcesOf(quiet.json, "aws_sns_topic_subscription")).map((s) => s.protocol);
    expect(protocols).not.toContain("https");
  });

  it("takes the paging endpoint from a sensitive variable, never from the code", () => {
    process.env.TF_VAR_critical_alerts_https_endpoint = "https://events.example.com/integration/secret-key/enqueue";
    try {
      const stack = synthEnvironment(byName("dev"));
      expect(stack.text).not.toContain("secret-key");
      const variable = (stack.json as { variable?: Record<string, Record<string, unknown>> }).variable
        ?.critical_alerts_https_endpoint;
      expect(variable).toMatchObject({ sensitive: true, type: "string", nullable: false });
      // No default: a deploy without the endpoint must stop, not delete the subscription.
      expect(variable).not.toHaveProperty("default");
      const https = Object.values(resourcesOf(stack.json, "aws_sns_topic_subscription")).find(
        (s) => s.protocol === "https",
      )!;
      expect(https.endpoint).toBe("${var.critical_alerts_https_endpoint}");
      expect(https).not.toHaveProperty("count");
    } finally {
      delete process.env.TF_VAR_critical_alerts_https_endpoint;
    }
  });
});

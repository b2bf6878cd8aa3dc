import { Construct } from "constructs";
import { logGroupNames, logGroupPrefix } from "../config/names";
import { FLOW_LOG_METRICS } from "./flow-logs";
import { accountAdministersKey } from "./iam-statements";
import { alarmMetric, dashboardLine, type Metric } from "./metric";
import { TerraformVariable } from "cdktf";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";

/** A lone instance's EC2 status checks. */
export interface StatusCheckMetrics {
  /** The host under it (StatusCheckFailed_System): EC2 can recover the instance onto new hardware. */
  readonly system: Metric;
  /** Its own operating system (StatusCheckFailed_Instance). */
  readonly instance: Metric;
}

/** The health a load balancer sees of the proxies it sends calls to. */
export interface TargetHealthMetrics {
  readonly healthy: Metric;
  readonly unhealthy: Metric;
  /** Healthy proxies expected at the least (a group's minimum); fewer is one failure from an outage. */
  readonly fewestHealthy: number;
}

/** An Auto Scaling group's capacity and the bounds it moves within. */
export interface CapacityMetrics {
  readonly desired: Metric;
  readonly inService: Metric;
  readonly max: Metric;
  readonly minSize: number;
  readonly maxSize: number;
}

/**
 * What Monitoring watches, by what the proxies expose rather than how they are built: each
 * capability a target has brings its alarms and its dashboard widget.
 */
export interface MonitoredProxies {
  /** Average CPU of the proxies (cpu-high, "CPU"). */
  metricCpuUtilization(): Metric;
  /** @default none — no system-status, instance-status or "Status checks" */
  readonly statusChecks?: StatusCheckMetrics;
  /** @default none — no unhealthy-targets, healthy-below-minimum, no-healthy-targets or "Target health" */
  readonly targetHealth?: TargetHealthMetrics;
  /** @default none — no near-max-capacity or "Auto Scaling capacity" */
  readonly capacity?: CapacityMetrics;
  /** The load balancer's new and active flows, per protocol. @default none — no "NLB flows" widget */
  readonly flows?: readonly Metric[];
  /** The nodes run the drain service and log its lines (DRAIN_METRIC_FILTERS). */
  readonly writesDrainLines: boolean;
}

export interface MonitoringProps {
  /** Prefix for names, e.g. `sip-proxy-dev`. */
  readonly namePrefix: string;
  readonly environment: string;
  readonly region: string;
  readonly target: MonitoredProxies;
  /** Subscribed to both topics. */
  readonly alertEmails: readonly string[];
  /**
   * The account the stack deploys to, from a resource that does not depend on these keys
   * (the VPC's owner_id): the log groups' key policy names it, so taking it from a log
   * group's ARN would be a cycle, and a data source would need credentials at plan time.
   */
  readonly accountId: string;
  /** Days each log group keeps events (config/schema.ts gives the defaults and why). */
  readonly logRetentionDays: { readonly kamailio: number; readonly setup: number; readonly flowLogs: number };
  /** 408s per 5 minutes above which the critical alarm fires (default and its reason: config/schema.ts). */
  readonly timeoutAlarmThreshold: number;
  /** Answered share of new INVITEs (percent) below which the answer-rate alarm fires. */
  readonly answerRateAlarmPercent: number;
  /** Fewer new INVITEs than this in 5 minutes: no answer-rate verdict. */
  readonly answerRateMinInvites: number;
  /** Average CPU percent above which the cpu-high alarm fires. */
  readonly cpuAlarmPercent: number;
  /**
   * Whether the critical topic pages an HTTPS endpoint, from a required sensitive variable
   * (no default: a deploy without it fails instead of removing the subscription).
   */
  readonly paging: boolean;
}

/**
 * Metrics derived from Kamailio's `SIPLOG` lines (templates/kamailio.cfg.ejs). Each filter
 * is a set of quoted terms that must all appear in a log event (CloudWatch substring match).
 */
export const SIP_METRIC_FILTERS = {
  NewInvites: ["SIPLOG", "event=request", "method=INVITE", "dialog=new"],
  AnsweredInvites: ["SIPLOG", "event=reply", "method=INVITE", "code=2"],
  Replies2xx: ["SIPLOG", "event=reply", "code=2"],
  Replies4xx: ["SIPLOG", "event=reply", "code=4"],
  Replies5xx: ["SIPLOG", "event=reply", "code=5"],
  Timeouts408: ["SIPLOG", "event=reply", "code=408"],
  /** INVITEs from outside Twilio's signaling edges and the environment's added ranges. */
  RejectedSources403: ["SIPLOG", "event=reply", "code=403", "reason=source"],
  /** From Twilio, but no X-Twilio-AccountSid, two of them, or an account not in sourceAccountSids. */
  RejectedAccounts403: ["SIPLOG", "event=reply", "code=403", "reason=account"],
  /** Digest credentials that do not match sourceAuth. */
  RejectedAuth403: ["SIPLOG", "event=reply", "code=403", "reason=auth"],
  /** A source outside the allowed ranges flooded initial requests and is ignored for 5 minutes. */
  SourcesBanned: ["SIPLOG", "event=banned"],
  /** A destination was silent or answered 500/503 and the call moved to the next one. */
  DestinationFailovers: ["SIPLOG", "event=failover"],
} as const;
export type SipMetric = keyof typeof SIP_METRIC_FILTERS;

/** Lines of the drain service (templates/drain.sh), on nodes that run it. */
export const DRAIN_METRIC_FILTERS = {
  /** Auto Scaling began terminating an instance; its drain service keeps calls up (config/drain.ts). */
  DrainsStarted: ["SIPLOG", "event=drain", "state=started"],
  /** A drained instance had no transaction left and let its termination go on. */
  DrainsCompleted: ["SIPLOG", "event=drain", "state=completed"],
} as const;

/**
 * Gauges from the stats publisher's line (templates/sip-stats.sh), written once a minute by
 * every instance to the Kamailio log: `SIPSTAT shm_used_percent 42.5 transactions 17`. A
 * space-delimited pattern names the line's fields and each metric takes its value from one of
 * them: "Metric filters can also extract numerical values from space-delimited log events ...
 * you can increment your metric value by the actual numerical value extracted from the log"
 * (CloudWatch Logs user guide, "Filter and Pattern Syntax"). Published without dimensions:
 * a filter's dimensions can only come from fields of the event, and the instance is named by
 * the log stream, which a filter cannot read; so every instance feeds one metric per name and
 * the alarm reads its Maximum (the fullest instance). No default value: a gauge that reads 0
 * whenever other lines arrive would be a lie.
 */
export const NODE_STAT_METRICS = {
  /** Kamailio's shared memory in use (real_used / total of `kamcmd core.shmmem`); at 100 % calls get 500. */
  SharedMemoryUsedPercent: { field: "shm_used_percent", unit: "Percent" },
  /** Transactions Kamailio holds (`kamcmd tm.stats` current). */
  ActiveTransactions: { field: "transactions", unit: "Count" },
} as const;
export type NodeStatMetric = keyof typeof NODE_STAT_METRICS;

/**
 * The SIPSTAT line's last five fields, whatever precedes them (the journal's timestamp, host
 * and identifier: "In cases where you don't know the number of fields, you can use shorthand
 * notification using an ellipsis", same guide): the tag, then each metric's name and value.
 */
export const NODE_STAT_PATTERN = `[..., tag="SIPSTAT", ${Object.values(NODE_STAT_METRICS)
  .map(({ field }) => `${field}_name="${field}", ${field}>=0`)
  .join(", ")}]`;

/** Shared memory used (percent) above which, for 5 minutes on any instance, `shared-memory-high` fires. */
export const SHARED_MEMORY_ALARM_PERCENT = 80;

/**
 * Alarms an instance refresh watches: it stops and rolls back when one goes into ALARM
 * (instances that never pass their health check, or calls no longer being answered).
 */
export const ROLLBACK_ALARM_IDS = ["unhealthy-targets", "answer-rate"] as const;

/** The CloudWatch name of one of an environment's alarms. */
export const alarmNameFor = (namePrefix: string, id: string) => `${namePrefix}-${id}`;

export const filterPattern = (terms: readonly string[]) => terms.map((t) => `"${t}"`).join(" ");

/**
 * Tells the operators when calls stop completing, not only when a machine dies: encrypted
 * SNS topics (`alerts`, `critical-alerts`), Kamailio's logs in CloudWatch with SIP reply
 * metrics, alarms on health, capacity and call outcomes, and a dashboard.
 */
export class Monitoring extends Construct {
  readonly alertsTopic: SnsTopic;
  readonly criticalTopic: SnsTopic;
  readonly logGroups: {
    readonly kamailio: CloudwatchLogGroup;
    readonly setup: CloudwatchLogGroup;
    readonly flowLogs: CloudwatchLogGroup;
  };
  /** Encrypts every log group of the environment. */
  readonly logsKey: KmsKey;
  readonly namespace: string;
  readonly dashboard: CloudwatchDashboard;
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: MonitoringProps,
  ) {
    super(scope, id);
    this.namespace = `SipProxy/${props.environment}`;

    const names = logGroupNames(props.environment);
    const account = props.accountId;
    // SIPLOG lines carry Call-IDs and source addresses: encrypted with the stack's own key.
    // "CloudWatch Logs must have permission to use the KMS key ... the key policy ... allows
    // logs.<region>.amazonaws.com", limited by the kms:EncryptionContext:aws:logs:arn
    // condition to this environment's log groups (CloudWatch Logs user guide, "Encrypt log
    // data in CloudWatch Logs using AWS KMS"; paraphrased).
    this.logsKey = new KmsKey(this, "logs-key", {
      description: `${props.namePrefix} log groups`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: { Name: `${props.namePrefix}-logs` },
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          accountAdministersKey(account),
          {
            Sid: "CloudWatchLogsUsesForThisEnvironment",
            Effect: "Allow",
            Principal: { Service: `logs.${props.region}.amazonaws.com` },
            Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: {
              ArnLike: {
                "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${props.region}:${account}:log-group:${logGroupPrefix(props.environment)}*`,
              },
            },
          },
        ],
      }),
    });
    const logGroup = (id: string, name: string, retentionInDays: number, tag: string) =>
      new CloudwatchLogGroup(this, id, {
        name,
        retentionInDays,
        kmsKeyId: this.logsKey.arn,
        tags: { Name: `${props.namePrefix}-${tag}` },
      });
    this.logGroups = {
      kamailio: logGroup("kamailio-logs", names.kamailio, props.logRetentionDays.kamailio, "kamailio"),
      setup: logGroup("setup-logs", names.setup, props.logRetentionDays.setup, "setup"),
      flowLogs: logGroup("flow-logs", names.flowLogs, props.logRetentionDays.flowLogs, "vpc-flow-logs"),
    };

    // CloudWatch alarms cannot publish to topics encrypted with the AWS-managed SNS key, so
    // the topics get a key whose policy admits CloudWatch.
    const key = new KmsKey(this, "topics-key", {
      description: `${props.namePrefix} alert topics`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: { Name: `${props.namePrefix}-alert-topics` },
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          accountAdministersKey(account),
          {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
          },
        ],
      }),
    });

    const topic = (id: string, name: string) => {
      const created = new SnsTopic(this, id, { name, kmsMasterKeyId: key.arn, tags: { Name: name } });
      // The policy SNS gives a new topic (the account's principals may use it), plus a refusal
      // of anything not sent over TLS (cdk-nag AwsSolutions-SNS3). CloudWatch alarms publish
      // as the alarm's account over TLS, so they are unaffected.
      new SnsTopicPolicy(this, `${id}-policy`, {
        arn: created.arn,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AccountUses",
              Effect: "Allow",
              Principal: { AWS: "*" },
              Action: [
                "SNS:GetTopicAttributes",
                "SNS:SetTopicAttributes",
                "SNS:AddPermission",
                "SNS:RemovePermission",
                "SNS:DeleteTopic",
                "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic",
                "SNS:Publish",
              ],
              Resource: created.arn,
              Condition: { StringEquals: { "AWS:SourceOwner": account } },
            },
            {
              Sid: "DenyWithoutTls",
              Effect: "Deny",
              Principal: "*",
              Action: "sns:*",
              Resource: created.arn,
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      });
      return created;
    };
    this.alertsTopic = topic("alerts", `${props.namePrefix}-alerts`);
    this.criticalTopic = topic("critical", `${props.namePrefix}-critical-alerts`);
    for (const [i, email] of props.alertEmails.entries()) {
      for (const [name, topic] of [
        ["alerts", this.alertsTopic],
        ["critical", this.criticalTopic],
      ] as const) {
        new SnsTopicSubscription(this, `${name}-email-${i}`, {
          topicArn: topic.arn,
          protocol: "email",
          endpoint: email,
        });
      }
    }

    // A paging integration URL (e.g. PagerDuty) is a secret: it is a sensitive variable,
    // given at deploy time (TF_VAR_critical_alerts_https_endpoint), never in the code or JSON.
    // It has no default: with an empty default, a deploy from a shell that lacks it planned
    // the subscription's destroy in one line of a long plan, and paging silently stopped.
    if (props.paging) {
      const pager = new TerraformVariable(this, "critical_alerts_https_endpoint", {
        type: "string",
        sensitive: true,
        nullable: false,
        description:
          "HTTPS endpoint (e.g. a PagerDuty integration URL) subscribed to the critical alerts topic. Required: pass TF_VAR_critical_alerts_https_endpoint from your secret store.",
        validation: [
          {
            condition: '${startswith(var.critical_alerts_https_endpoint, "https://")}',
            errorMessage: "critical_alerts_https_endpoint must be an https:// URL.",
          },
        ],
      });
      pager.overrideLogicalId("critical_alerts_https_endpoint");
      new SnsTopicSubscription(this, "critical-https", {
        topicArn: this.criticalTopic.arn,
        protocol: "https",
        endpoint: pager.stringValue,
      });
    }

    const filters = { ...SIP_METRIC_FILTERS, ...(props.target.writesDrainLines ? DRAIN_METRIC_FILTERS : {}) };
    for (const [metric, terms] of Object.entries(filters)) {
      new CloudwatchLogMetricFilter(this, `metric-${metric}`, {
        name: `${props.namePrefix}-${metric}`,
        logGroupName: this.logGroups.kamailio.name,
        pattern: filterPattern(terms),
        metricTransformation: { name: metric, namespace: this.namespace, value: "1", defaultValue: "0", unit: "Count" },
      });
    }

    for (const [metric, { field, unit }] of Object.entries(NODE_STAT_METRICS)) {
      new CloudwatchLogMetricFilter(this, `metric-${metric}`, {
        name: `${props.namePrefix}-${metric}`,
        logGroupName: this.logGroups.kamailio.name,
        pattern: NODE_STAT_PATTERN,
        metricTransformation: { name: metric, namespace: this.namespace, value: `$${field}`, unit },
      });
    }

    this.sipAlarms();
    this.sharedMemoryAlarm();
    this.bannedSourcesAlarm();
    this.twilioRejectsAlarm();
    const { statusChecks, targetHealth, capacity } = props.target;
    if (statusChecks) this.statusCheckAlarms(statusChecks);
    if (targetHealth) this.targetHealthAlarms(targetHealth);
    this.cpuAlarm(props.target.metricCpuUtilization());
    if (capacity) this.capacityAlarm(capacity);
    this.dashboard = this.buildDashboard();
  }

  private alarm(
    id: string,
    config: Omit<CloudwatchMetricAlarmConfig, "alarmName">,
    critical = false,
  ): CloudwatchMetricAlarm {
    const topic = critical ? this.criticalTopic : this.alertsTopic;
    const alarmName = alarmNameFor(this.props.namePrefix, id);
    const alarm = new CloudwatchMetricAlarm(this, id, {
      alarmName,
      tags: { Name: alarmName },
      treatMissingData: "notBreaching",
      ...config,
      alarmActions: [...(config.alarmActions ?? []), topic.arn],
      okActions: [topic.arn],
    });
    this.alarms.push(alarm);
    return alarm;
  }

  /** Fed by the flow logs' filter (constructs/flow-logs.ts). */
  private twilioRejectsAlarm(): void {
    this.alarm("twilio-sip-rejected", {
      alarmDescription:
        "The VPC rejected SIP packets from Twilio's signaling ranges: a security group or network ACL misses a Twilio address, and calls through that edge fail. Compare config/twilio.ts with Twilio's published signaling IPs; the records are in the vpc-flow-logs log group.",
      namespace: this.namespace,
      metricName: FLOW_LOG_METRICS.rejectedTwilioSip,
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
  }

  private sipAlarms(): void {
    const threshold = this.props.timeoutAlarmThreshold;
    this.alarm(
      "destination-timeouts",
      {
        alarmDescription: `More than ${threshold} calls in 5 minutes got 408: the destination stopped answering INVITEs (INC-979). Check the destination domain's status and the proxy's egress path.`,
        namespace: this.namespace,
        metricName: "Timeouts408",
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold,
        comparisonOperator: "GreaterThanThreshold",
      },
      true,
    );

    const percent = this.props.answerRateAlarmPercent;
    const minInvites = this.props.answerRateMinInvites;
    const metric = (id: string, metricName: SipMetric) => ({
      id,
      metric: { namespace: this.namespace, metricName, period: 300, stat: "Sum" },
    });
    this.alarm("answer-rate", {
      alarmDescription: `Fewer than ${percent} % of new INVITEs were answered (2xx) over 10 minutes with at least ${minInvites} INVITEs per 5 minutes. Look at the reply codes on the dashboard.`,
      evaluationPeriods: 2,
      threshold: percent,
      comparisonOperator: "LessThanThreshold",
      metricQuery: [
        metric("invites", "NewInvites"),
        metric("answered", "AnsweredInvites"),
        {
          id: "answer_rate",
          // Below the minimum volume the rate is not meaningful: report 100 so it cannot breach.
          expression: `IF(invites >= ${minInvites}, 100 * answered / invites, 100)`,
          label: "Answered share of new INVITEs (%)",
          returnData: true,
        },
      ],
    });
  }

  private sharedMemoryAlarm(): void {
    const percent = SHARED_MEMORY_ALARM_PERCENT;
    this.alarm("shared-memory-high", {
      alarmDescription: `Kamailio's shared memory has been over ${percent} % used on at least one proxy for 5 minutes (SIPSTAT lines, the fullest instance); at 100 % new calls get 500. Find the instance (Logs Insights on the Kamailio log group: SIPSTAT lines by @logStream), look at \`sudo kamcmd core.shmmem\` and \`sudo kamcmd tm.stats\` there. Relieve it by restarting Kamailio on it (its calls in progress are lost) or replacing the instance; for good, raise sip.peakCallsPerSecond (shared memory is sized from it, up to half the RAM) and the instance type if the setup log says the size was capped.`,
      namespace: this.namespace,
      metricName: "SharedMemoryUsedPercent" satisfies NodeStatMetric,
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      threshold: percent,
      comparisonOperator: "GreaterThanThreshold",
    });
  }

  private bannedSourcesAlarm(): void {
    this.alarm("sources-banned", {
      alarmDescription:
        "Kamailio banned a source for flooding initial requests. Only Twilio's edges and the added ranges pass the security group, and those are never banned, so a ban means traffic from inside the VPC or a misconfigured extra source: see the SIPLOG event=banned lines (src=) in the Kamailio log group.",
      namespace: this.namespace,
      metricName: "SourcesBanned",
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
  }

  private statusCheckAlarms(checks: StatusCheckMetrics): void {
    const statusCheck = {
      statistic: "Maximum",
      period: 60,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    };
    this.alarm("system-status", {
      ...statusCheck,
      ...alarmMetric(checks.system),
      alarmDescription:
        "The host under the proxy failed its system status check; EC2 recovers the instance onto new hardware (same instance id, private IP and Elastic IP).",
      evaluationPeriods: 2,
      // An alarm action, so it stays with the alarms (which know the region): the instance
      // only names its metrics.
      alarmActions: [`arn:aws:automate:${this.props.region}:ec2:recover`],
    });
    this.alarm("instance-status", {
      ...statusCheck,
      ...alarmMetric(checks.instance),
      alarmDescription:
        "The proxy's operating system failed its instance status check (kernel, network, disk). Reboot it or redeploy.",
      evaluationPeriods: 3,
    });
  }

  private cpuAlarm(cpu: Metric): void {
    const threshold = this.props.cpuAlarmPercent;
    this.alarm("cpu-high", {
      alarmDescription: `Average CPU above ${threshold} % for 15 minutes: the proxy is near its call-rate capacity.`,
      ...alarmMetric(cpu),
      statistic: "Average",
      period: 300,
      evaluationPeriods: 3,
      threshold,
      comparisonOperator: "GreaterThanThreshold",
    });
  }

  private targetHealthAlarms(health: TargetHealthMetrics): void {
    const nlb = { statistic: "Average", period: 60 };
    this.alarm("unhealthy-targets", {
      ...nlb,
      ...alarmMetric(health.unhealthy),
      alarmDescription:
        "At least one proxy fails its health check (TCP 5060). The group replaces it; if this persists, look at the instance's setup log.",
      evaluationPeriods: 2,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    this.alarm("healthy-below-minimum", {
      ...nlb,
      ...alarmMetric(health.healthy),
      alarmDescription: `Fewer healthy proxies than the group minimum (${health.fewestHealthy}): one more failure loses capacity or the service.`,
      evaluationPeriods: 2,
      threshold: health.fewestHealthy,
      comparisonOperator: "LessThanThreshold",
    });
    this.alarm(
      "no-healthy-targets",
      {
        ...nlb,
        ...alarmMetric(health.healthy),
        alarmDescription: "No healthy proxy behind the NLB: every call fails.",
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "LessThanOrEqualToThreshold",
        // No data from the NLB at all is as bad as zero healthy targets.
        treatMissingData: "breaching",
      },
      true,
    );
  }

  private capacityAlarm({ desired, minSize, maxSize }: CapacityMetrics): void {
    // Two below the maximum, but never at or below the minimum (a 2..4 group would always alarm).
    const nearMax = Math.max(maxSize - 2, minSize + 1);
    if (nearMax <= maxSize) {
      this.alarm("near-max-capacity", {
        alarmDescription: `The group wants ${nearMax} or more of its maximum ${maxSize} instances: raise autoscaling.max before it runs out.`,
        ...alarmMetric(desired),
        statistic: "Average",
        period: 300,
        evaluationPeriods: 2,
        threshold: nearMax,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      });
    }
  }

  private buildDashboard(): CloudwatchDashboard {
    const { region, target } = this.props;
    const widget = (title: string, metrics: unknown[][], stat = "Sum", period = 60) => ({
      type: "metric",
      width: 12,
      height: 6,
      properties: { title, region, stat, period, view: "timeSeries", metrics },
    });
    const own = (metricName: SipMetric | NodeStatMetric) => ({ namespace: this.namespace, metricName });
    const sip = (name: SipMetric) => dashboardLine(own(name));
    const node = (name: NodeStatMetric, options: Record<string, string>) => dashboardLine(own(name), options);
    const widgets: unknown[] = [
      widget("SIP replies by class", [sip("Replies2xx"), sip("Replies4xx"), sip("Replies5xx")]),
      widget("New INVITEs and answered", [sip("NewInvites"), sip("AnsweredInvites")]),
      widget("408 timeouts and failovers (destination silent or failing)", [
        sip("Timeouts408"),
        sip("DestinationFailovers"),
      ]),
      widget("Refused by the proxy (403 by reason) and banned sources", [
        sip("RejectedSources403"),
        sip("RejectedAccounts403"),
        sip("RejectedAuth403"),
        sip("SourcesBanned"),
      ]),
      widget(
        `Kamailio shared memory used (%, fullest instance; alarm above ${SHARED_MEMORY_ALARM_PERCENT}) and transactions held`,
        [
          node("SharedMemoryUsedPercent", { stat: "Maximum", label: "Shared memory used, % (fullest instance)" }),
          node("ActiveTransactions", {
            stat: "Maximum",
            yAxis: "right",
            label: "Transactions held (busiest instance)",
          }),
        ],
        "Maximum",
      ),
    ];
    const lines = (metrics: readonly Metric[]) => metrics.map((m) => dashboardLine(m));
    const { statusChecks, targetHealth, capacity, flows } = target;
    // The widgets' order is the dashboard's layout: one order for every kind of target, each
    // widget only where the target has what it shows.
    if (targetHealth) {
      widgets.push(widget("Target health", lines([targetHealth.healthy, targetHealth.unhealthy]), "Average"));
    }
    if (capacity) {
      const { desired, inService, max } = capacity;
      widgets.push(widget("Auto Scaling capacity", lines([desired, inService, max]), "Average", 300));
    }
    widgets.push(widget("CPU", lines([target.metricCpuUtilization()]), "Average", 300));
    if (statusChecks) {
      widgets.push(widget("Status checks", lines([statusChecks.system, statusChecks.instance]), "Maximum"));
    }
    if (flows) widgets.push(widget("NLB flows (UDP and TCP)", lines(flows)));
    return new CloudwatchDashboard(this, "dashboard", {
      dashboardName: this.props.namePrefix,
      dashboardBody: JSON.stringify({ widgets }),
    });
  }

  /** Console URL of the dashboard. */
  get dashboardUrl(): string {
    const { region } = this.props;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}

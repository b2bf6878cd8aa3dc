import { Construct } from "constructs";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { parseCidr } from "../config/cidr";
import { awsName } from "./aws-names";
import { ConstructError } from "./construct-error";
import { logGroupWriter } from "./iam-statements";

export interface VpcFlowLogsProps {
  /** Prefix for names, e.g. `sip-proxy-dev`. */
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly region: string;
  /** From a resource that does not depend on the log group (the VPC's owner_id). */
  readonly accountId: string;
  /** The encrypted log group the records go to (Monitoring's `flowLogs`). */
  readonly logGroup: { readonly name: string; readonly arn: string };
  /** SIP ports the security groups admit (the SIP port, and the TLS port when there is one). */
  readonly sipPorts: readonly number[];
  /** Twilio's signaling ranges: a rejected packet from one of them means a call is being lost. */
  readonly twilioCidrs: readonly string[];
  /** CloudWatch namespace of the environment's metrics. */
  readonly namespace: string;
}

/** Metric names the filters publish; Monitoring's alarm reads the Twilio one. */
export const FLOW_LOG_METRICS = {
  /** Packets to a SIP port that a security group or network ACL rejected, from anywhere. */
  rejectedSip: "RejectedSipPackets",
  /** The same from Twilio's signaling ranges: the security group misses a Twilio address. */
  rejectedTwilioSip: "RejectedTwilioSipPackets",
} as const;

/**
 * VPC flow logs of rejected traffic (FSBP EC2.6), delivered to an encrypted log group, with
 * metrics for rejected SIP. The records are the only trace of what the security groups drop:
 * a scanner's packets, or Twilio's from an address the rules do not list.
 */
export class VpcFlowLogs extends Construct {
  readonly flowLog: FlowLog;
  readonly role: IamRole;
  /** Writes to the one log group, any stream in it; lists log groups (no single-group form). */
  readonly deliveryPolicy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    // The trust policy the VPC user guide gives for delivery to CloudWatch Logs, with the
    // confused-deputy conditions it recommends (aws:SourceAccount, aws:SourceArn).
    this.role = new IamRole(this, "role", {
      name: awsName(this, "iamRole", `${props.namePrefix}-flow-logs`),
      description: "VPC flow logs: deliver rejected-traffic records to the environment's log group",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "vpc-flow-logs.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
              StringEquals: { "aws:SourceAccount": props.accountId },
              ArnLike: { "aws:SourceArn": `arn:aws:ec2:${props.region}:${props.accountId}:vpc-flow-log/*` },
            },
          },
        ],
      }),
    });
    // The user guide's delivery policy grants logs:* actions on "*"; here they are limited to
    // the one log group, except DescribeLogGroups, which names no single group.
    this.deliveryPolicy = new IamRolePolicy(this, "deliver", {
      name: "deliver-to-flow-log-group",
      role: this.role.name,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          logGroupWriter([props.logGroup.arn]),
          {
            Effect: "Allow",
            Action: "logs:DescribeLogGroups",
            Resource: `arn:aws:logs:${props.region}:${props.accountId}:log-group:*`,
          },
        ],
      }),
    });

    this.flowLog = new FlowLog(this, "Default", {
      vpcId: props.vpcId,
      // Accepted traffic is what the calls' own logs already show; rejects are what nobody sees.
      trafficType: "REJECT",
      logDestinationType: "cloud-watch-logs",
      logDestination: props.logGroup.arn,
      iamRoleArn: this.role.arn,
      // One minute, not the default ten: the Twilio alarm should fire while calls still fail.
      maxAggregationInterval: 60,
      tags: { Name: `${props.namePrefix}-rejects` },
    });

    const filter = (metric: string, pattern: string) =>
      new CloudwatchLogMetricFilter(this, `metric-${metric}`, {
        name: `${props.namePrefix}-${metric}`,
        logGroupName: props.logGroup.name,
        pattern,
        metricTransformation: {
          name: metric,
          namespace: props.namespace,
          value: "1",
          defaultValue: "0",
          unit: "Count",
        },
      });
    let twilioPattern: string;
    try {
      twilioPattern = rejectedPattern(props.sipPorts, props.twilioCidrs);
    } catch (error) {
      throw new ConstructError(this, (error as Error).message);
    }
    filter(FLOW_LOG_METRICS.rejectedSip, rejectedPattern(props.sipPorts));
    filter(FLOW_LOG_METRICS.rejectedTwilioSip, twilioPattern);
  }
}

/**
 * Fields of a flow log record in the default format (version 2): "${version} ${account-id}
 * ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}
 * ${start} ${end} ${action} ${log-status}" (VPC user guide, "Flow log records", default format).
 */
export const FLOW_LOG_FIELDS = [
  "version",
  "account",
  "eni",
  "source",
  "destination",
  "srcport",
  "destport",
  "protocol",
  "packets",
  "bytes",
  "start",
  "end",
  "action",
  "status",
] as const;

/**
 * A space-delimited filter pattern for REJECT records to one of `ports`, from `sources` if
 * given. Field values are matched with regular expressions between `%`: CloudWatch Logs
 * accepts regex in space-delimited patterns, with `^ $ [ ] | \ .` among its operators and
 * no parentheses ("Filter pattern syntax for metric filters ...", supported regex syntax).
 */
export function rejectedPattern(ports: readonly number[], sources?: readonly string[]): string {
  const conditions: Partial<Record<(typeof FLOW_LOG_FIELDS)[number], string>> = {
    destport: `%${alternatives(ports.map(String))}%`,
    action: '"REJECT"',
  };
  if (sources) conditions.source = `%${alternatives(sources.flatMap(addressPatterns))}%`;
  return `[${FLOW_LOG_FIELDS.map((field) => (conditions[field] ? `${field}=${conditions[field]}` : field)).join(", ")}]`;
}

const alternatives = (patterns: readonly string[]) => patterns.map((p) => `^${p}$`).join("|");

/**
 * Regular expressions (unanchored) that together match exactly the addresses of `cidr`, for
 * prefixes from /24 to /32: the first three octets literally, the last as runs of
 * `<tens>[<from>-<to>]`, since the regex dialect has no parentheses for anything cleverer.
 */
export function addressPatterns(cidr: string): string[] {
  const parsed = parseCidr(cidr);
  if (!parsed || parsed.prefix < 24) {
    throw new RangeError(`cannot match ${cidr} in a flow log pattern: only /24 to /32 ranges are supported`);
  }
  const octets = parsed.address.split(".");
  const first = Number(octets[3]) & (0xff << (32 - parsed.prefix)) & 0xff;
  const last = first + 2 ** (32 - parsed.prefix) - 1;
  const head = octets.slice(0, 3).join("\\.") + "\\.";
  const runs = new Map<string, number[]>();
  for (let value = first; value <= last; value++) {
    const tens = value >= 10 ? String(Math.floor(value / 10)) : "";
    runs.set(tens, [...(runs.get(tens) ?? []), value % 10]);
  }
  return [...runs].map(([tens, digits]) => {
    const low = Math.min(...digits);
    const high = Math.max(...digits);
    return `${head}${tens}${low === high ? low : `[${low}-${high}]`}`;
  });
}

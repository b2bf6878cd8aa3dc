import { awsName } from "./aws-names";
import { Construct } from "constructs";
import { Token, type ITerraformDependable } from "cdktf";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SipLaunchTemplate, type SipProxyNodesProps } from "./sip-launch-template";
import { SipSecurityGroup } from "./sip-security-group";
import { ConstructError } from "./construct-error";
import { NLB_TARGET_HEALTH } from "../config/aws-network";
import type { Metric } from "./metric";
import {
  alarmNameFor,
  ROLLBACK_ALARM_IDS,
  type CapacityMetrics,
  type MonitoredProxies,
  type TargetHealthMetrics,
} from "./monitoring";

/** A TCP connect to the port Kamailio serves (config/aws-network.ts says why these timers). */
function targetHealthCheck(port: number) {
  return {
    protocol: "TCP",
    port: String(port),
    interval: NLB_TARGET_HEALTH.intervalSeconds,
    timeout: NLB_TARGET_HEALTH.timeoutSeconds,
    healthyThreshold: NLB_TARGET_HEALTH.healthyThreshold,
    unhealthyThreshold: NLB_TARGET_HEALTH.unhealthyThreshold,
  };
}

export interface ZoneSubnet {
  readonly availabilityZone: string;
  readonly subnetId: string;
}

export interface SipAutoscalingProps extends SipProxyNodesProps {
  /** The VPC's CIDR: NLB health checks and forwarded traffic arrive from inside it. */
  readonly vpcCidr: string;
  /**
   * Where the NLB lives, one Elastic IP per subnet. With one subnet Kamailio may advertise its
   * address; with more, advertisedName is required (a name whose A record lists them all).
   */
  readonly publicSubnets: readonly ZoneSubnet[];
  /** Where the instances run; they have no public address and leave through NAT. */
  readonly privateSubnetIds: readonly string[];
  /** Fewest instances the group keeps in service (default and its reason: config/schema.ts). */
  readonly minSize: number;
  /** Instances the group starts with, between minSize and maxSize. */
  readonly desiredCapacity: number;
  /** Most instances the group may run. */
  readonly maxSize: number;
  /** Seconds a new instance has to boot before its health checks count. */
  readonly healthCheckGraceSeconds: number;
  /**
   * The VPC's internet gateway. An internet-facing NLB created before it fails with
   * "InvalidSubnet: VPC ... has no internet gateway" (hashicorp/terraform-provider-aws#3580).
   * @default none — the caller orders the NLB after the gateway itself
   */
  readonly internetGateway?: ITerraformDependable;
}

/** Target group name prefixes (AWS allows at most 6 characters in a name_prefix). */
export const TARGET_GROUP_NAME_PREFIX = { sip: "sip-", tls: "tls-" } as const;

/**
 * The load-balanced architecture: an internet-facing Network Load Balancer with one Elastic
 * IP per public subnet in front of an Auto Scaling Group of proxies in private subnets.
 *
 * SIP over UDP and TCP share one TCP_UDP listener and one target group: one health state
 * and one source-IP stickiness table for both transports, so a Twilio edge that moves from
 * UDP to TCP still lands on the instance holding its dialogs, and alarms have one target
 * group to watch. Health checks are TCP (NLB cannot health-check UDP).
 */
/** What the drain service of the nodes needs (config/drain.ts). */
type DrainSettings = NonNullable<SipAutoscalingProps["node"]["drain"]>;

export class SipAutoscaling extends Construct implements MonitoredProxies {
  /** The instances' group: SIP from the NLB's group only. */
  readonly securityGroup: SecurityGroup;
  /** The NLB's group: SIP from Twilio's ranges, out to the VPC on the SIP ports. */
  readonly nlbSecurityGroup: SecurityGroup;
  readonly nlbElasticIps: readonly Eip[];
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly listener: LbListener;
  /** TCP pass-through for TLS, when configured. */
  readonly tlsTargetGroup?: LbTargetGroup;
  readonly group: AutoscalingGroup;
  readonly template: SipLaunchTemplate;
  /** Every node drains: the constructor refuses node settings without a drain. */
  readonly writesDrainLines = true;
  private readonly sizes: { readonly minSize: number; readonly maxSize: number };

  constructor(scope: Construct, id: string, props: SipAutoscalingProps) {
    super(scope, id);
    if (props.publicSubnets.length === 0) throw new ConstructError(this, "needs at least one public subnet");
    if (props.privateSubnetIds.length === 0) throw new ConstructError(this, "needs at least one private subnet");
    const { minSize, maxSize, desiredCapacity: desired } = props;
    if (!(minSize <= desired && desired <= maxSize)) {
      throw new ConstructError(this, `needs min <= desired <= max, got ${minSize} <= ${desired} <= ${maxSize}`);
    }
    // Kamailio puts one host into Via and Record-Route, and Twilio sends replies, ACK and BYE
    // there. One zone's Elastic IP would make that zone's NLB node the only way into every
    // dialog, so an impaired first zone would fail calls although the others are healthy.
    if (props.publicSubnets.length > 1 && props.advertisedName === undefined) {
      throw new ConstructError(
        this,
        `has ${props.publicSubnets.length} zones but no advertisedName: advertising one zone's Elastic IP ties every call to that zone; give a DNS name that resolves to every NLB Elastic IP`,
      );
    }
    const drain = props.node.drain;
    this.sizes = { minSize, maxSize };
    if (!drain)
      throw new ConstructError(this, "needs node.drain (config/drain.ts): instances must drain before they go");

    const groups = this.securityGroups(props);
    this.nlbSecurityGroup = groups.nlb;
    this.securityGroup = groups.instances;
    const { addresses, loadBalancer } = this.loadBalancerWithAddresses(props);
    this.nlbElasticIps = addresses;
    this.loadBalancer = loadBalancer;
    const { targetGroup, listener, tlsTargetGroup } = this.targetGroupsAndListeners(props, loadBalancer);
    this.targetGroup = targetGroup;
    this.listener = listener;
    this.tlsTargetGroup = tlsTargetGroup;
    this.template = SipLaunchTemplate.forNodes(this, props, this.securityGroup.id, this.nlbElasticIps[0].publicIp);
    this.group = this.autoScalingGroup(props, drain, this.template, [
      targetGroup,
      ...(tlsTargetGroup ? [tlsTargetGroup] : []),
    ]);
    this.drainOnTermination(drain, this.group, this.template.role);
  }

  /** Healthy targets in the SIP target group, as the NLB sees them. */
  metricHealthyHostCount(): Metric {
    return this.targetGroupMetric("HealthyHostCount");
  }

  metricUnHealthyHostCount(): Metric {
    return this.targetGroupMetric("UnHealthyHostCount");
  }

  /** CPU of the group's instances (EC2 aggregates it by AutoScalingGroupName). */
  metricCpuUtilization(): Metric {
    return { namespace: "AWS/EC2", metricName: "CPUUtilization", dimensions: this.groupDimensions };
  }

  metricGroupDesiredCapacity(): Metric {
    return this.groupMetric("GroupDesiredCapacity");
  }

  metricGroupInServiceInstances(): Metric {
    return this.groupMetric("GroupInServiceInstances");
  }

  metricGroupMaxSize(): Metric {
    return this.groupMetric("GroupMaxSize");
  }

  metricNewFlowCount(protocol: "UDP" | "TCP"): Metric {
    return this.loadBalancerMetric(`NewFlowCount_${protocol}`);
  }

  metricActiveFlowCount(protocol: "UDP" | "TCP"): Metric {
    return this.loadBalancerMetric(`ActiveFlowCount_${protocol}`);
  }

  get targetHealth(): TargetHealthMetrics {
    return {
      healthy: this.metricHealthyHostCount(),
      unhealthy: this.metricUnHealthyHostCount(),
      fewestHealthy: this.sizes.minSize,
    };
  }

  get capacity(): CapacityMetrics {
    return {
      desired: this.metricGroupDesiredCapacity(),
      inService: this.metricGroupInServiceInstances(),
      max: this.metricGroupMaxSize(),
      ...this.sizes,
    };
  }

  get flows(): readonly Metric[] {
    return [
      this.metricNewFlowCount("UDP"),
      this.metricNewFlowCount("TCP"),
      this.metricActiveFlowCount("UDP"),
      this.metricActiveFlowCount("TCP"),
    ];
  }

  /** CloudWatch names the NLB and its target group by their ARN suffixes. */
  private targetGroupMetric(metricName: string): Metric {
    const dimensions = { LoadBalancer: this.loadBalancer.arnSuffix, TargetGroup: this.targetGroup.arnSuffix };
    return { namespace: "AWS/NetworkELB", metricName, dimensions };
  }

  private loadBalancerMetric(metricName: string): Metric {
    return { namespace: "AWS/NetworkELB", metricName, dimensions: { LoadBalancer: this.loadBalancer.arnSuffix } };
  }

  private get groupDimensions(): Record<string, string> {
    return { AutoScalingGroupName: this.group.name };
  }

  private groupMetric(metricName: string): Metric {
    return { namespace: "AWS/AutoScaling", metricName, dimensions: this.groupDimensions };
  }

  /** The NLB's group (Twilio's ranges in) and the instances' (the NLB's group in). */
  private securityGroups(props: SipAutoscalingProps): { nlb: SecurityGroup; instances: SecurityGroup } {
    const port = props.node.sipPort;
    // Twilio's ranges are checked where the traffic enters: the NLB's own security group. It
    // can only be given when the NLB is created ("If you create a Network Load Balancer without
    // associating any security groups, you can't associate them with the load balancer later
    // on", ELB, NLB security groups): see README "Security" for an NLB made before it existed.
    const nlb = new SipSecurityGroup(this, "nlb-sg", {
      namePrefix: props.namePrefix,
      role: "nlb",
      vpcId: props.vpcId,
      description: "SIP proxy NLB: SIP from Twilio's signaling ranges; out to the proxies only",
      port,
      sipSources: [{ label: "Twilio signaling ranges", cidrs: props.allowedSipCidrs }],
      tlsPort: props.tlsPort,
      egressCidr: props.vpcCidr,
    }).securityGroup;
    // The instances admit SIP from the NLB's group only: "Referencing the security group
    // associated with your Network Load Balancer in the security groups associated with your
    // targets ensures that your targets accept traffic from your Network Load Balancer even
    // if you enable client IP preservation" (same page). Health checks come from it too.
    const instances = new SipSecurityGroup(this, "sg", {
      namePrefix: props.namePrefix,
      vpcId: props.vpcId,
      description: "SIP proxy behind NLB: SIP and health checks from the NLB's security group only",
      port,
      sipSources: [
        {
          label: "the NLB (Twilio ranges checked there, client IP preserved)",
          securityGroupId: nlb.id,
        },
      ],
      tlsPort: props.tlsPort,
    }).securityGroup;
    return { nlb, instances };
  }

  /** One Elastic IP per public subnet, and the internet-facing NLB that holds them. */
  private loadBalancerWithAddresses(props: SipAutoscalingProps): { addresses: Eip[]; loadBalancer: Lb } {
    const addresses = props.publicSubnets.map(
      (s) =>
        new Eip(this, `nlb-${s.availabilityZone}`, {
          domain: "vpc",
          lifecycle: { preventDestroy: props.protectAddresses },
          tags: { Name: `${props.namePrefix}-nlb-${s.availabilityZone}` },
        }),
    );

    const loadBalancer = new Lb(this, "nlb", {
      name: awsName(this, "loadBalancer", props.namePrefix),
      loadBalancerType: "network",
      internal: false,
      subnetMapping: props.publicSubnets.map((s, i) => ({
        subnetId: s.subnetId,
        allocationId: addresses[i].allocationId,
      })),
      // Twilio may send any request of a dialog to any address of the advertised name, and
      // after a zone's loss to another zone's: every address must reach every instance.
      enableCrossZoneLoadBalancing: props.publicSubnets.length > 1,
      // Like the Elastic IPs it holds (FSBP ELB.6): off only when the environment says it is
      // being torn down on purpose (allowElasticIpDestroy).
      enableDeletionProtection: props.protectAddresses,
      securityGroups: [this.nlbSecurityGroup.id],
      tags: { Name: props.namePrefix },
      dependsOn: props.internetGateway ? [props.internetGateway] : undefined,
    });
    return { addresses, loadBalancer };
  }

  /** The SIP target group and listener (TCP_UDP), and TLS's when configured. */
  private targetGroupsAndListeners(
    props: SipAutoscalingProps,
    loadBalancer: Lb,
  ): { targetGroup: LbTargetGroup; listener: LbListener; tlsTargetGroup?: LbTargetGroup } {
    const port = props.node.sipPort;
    let tlsTargetGroup: LbTargetGroup | undefined;
    const targetGroup = new LbTargetGroup(this, "targets", {
      // The port and protocol force a new target group, which the listener still uses while
      // Terraform would delete the old one first (ResourceInUse). Created before the old one
      // is destroyed, under a generated name: AWS allows a name_prefix of at most 6 characters
      // ("name_prefix ... Cannot be longer than 6 characters", aws_lb_target_group docs).
      namePrefix: awsName(this, "targetGroupPrefix", TARGET_GROUP_NAME_PREFIX.sip),
      lifecycle: { createBeforeDestroy: true },
      port,
      protocol: "TCP_UDP",
      targetType: "instance",
      vpcId: props.vpcId,
      // Scale-in and refresh drain, then UDP flows are cut so that the caller's next packet
      // goes to a healthy instance instead of waiting out the 120 s UDP idle timeout.
      deregistrationDelay: String(NLB_TARGET_HEALTH.deregistrationDelaySeconds),
      connectionTermination: true,
      stickiness: { type: "source_ip", enabled: true },
      healthCheck: targetHealthCheck(port),
      tags: { Name: props.namePrefix },
    });

    const listener = new LbListener(this, "sip", {
      loadBalancerArn: loadBalancer.arn,
      port,
      protocol: "TCP_UDP",
      defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
      tags: { Name: `${props.namePrefix}-sip` },
    });

    if (props.tlsPort !== undefined) {
      // TLS is passed through (TCP): Kamailio terminates it, and the NLB keeps Twilio's
      // source address for the security group and Kamailio's checks.
      tlsTargetGroup = new LbTargetGroup(this, "tls-targets", {
        namePrefix: awsName(this, "targetGroupPrefix", TARGET_GROUP_NAME_PREFIX.tls),
        lifecycle: { createBeforeDestroy: true },
        port: props.tlsPort,
        protocol: "TCP",
        targetType: "instance",
        vpcId: props.vpcId,
        deregistrationDelay: String(NLB_TARGET_HEALTH.deregistrationDelaySeconds),
        stickiness: { type: "source_ip", enabled: true },
        healthCheck: targetHealthCheck(props.tlsPort),
        tags: { Name: `${props.namePrefix}-tls` },
      });
      new LbListener(this, "tls", {
        loadBalancerArn: loadBalancer.arn,
        port: props.tlsPort,
        protocol: "TCP",
        defaultAction: [{ type: "forward", targetGroupArn: tlsTargetGroup.arn }],
        tags: { Name: `${props.namePrefix}-tls` },
      });
    }
    return { targetGroup, listener, tlsTargetGroup };
  }

  /** The group of proxies: sizes, health, rolling refresh with rollback, propagated tags. */
  private autoScalingGroup(
    props: SipAutoscalingProps,
    drain: DrainSettings,
    template: SipLaunchTemplate,
    targetGroups: readonly LbTargetGroup[],
  ): AutoscalingGroup {
    const grace = props.healthCheckGraceSeconds;
    const { minSize, maxSize, desiredCapacity: desired } = props;
    return new AutoscalingGroup(this, "Default", {
      name: awsName(this, "autoScalingGroup", drain.autoScalingGroupName),
      minSize,
      maxSize,
      desiredCapacity: desired,
      vpcZoneIdentifier: [...props.privateSubnetIds],
      targetGroupArns: targetGroups.map((t) => t.arn),
      dependsOn: props.egress ? [...props.egress] : undefined,
      healthCheckType: "ELB",
      healthCheckGracePeriod: grace,
      // latest_version, not "$Latest": only a changed version number triggers the refresh.
      launchTemplate: {
        id: template.launchTemplate.id,
        version: Token.asString(template.launchTemplate.latestVersion),
      },
      // Launch before terminate: replacements come into service (up to twice the desired
      // count) before old instances drain, so capacity never drops below desired and
      // healthy-below-minimum stays quiet. A refresh that fails, or during which one of the
      // rollback alarms goes off, rolls back to the previous launch template version.
      instanceRefresh: {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: 100,
          maxHealthyPercentage: 200,
          instanceWarmup: String(grace),
          autoRollback: true,
          alarmSpecification: { alarms: ROLLBACK_ALARM_IDS.map((id) => alarmNameFor(props.namePrefix, id)) },
        },
      },
      enabledMetrics: [
        "GroupMinSize",
        "GroupMaxSize",
        "GroupDesiredCapacity",
        "GroupInServiceInstances",
        "GroupPendingInstances",
        "GroupTerminatingInstances",
        "GroupTotalInstances",
      ],
      metricsGranularity: "1Minute",
      // The provider's default_tags do not reach a group or what it launches.
      tag: Object.entries({ ...props.launchTags, Name: props.namePrefix }).map(([key, value]) => ({
        key,
        value,
        propagateAtLaunch: true,
      })),
    });
  }

  /** The termination hook the drain service completes, and the one permission it needs. */
  private drainOnTermination(drain: DrainSettings, group: AutoscalingGroup, role: IamRole): void {
    // A terminating instance waits here while its drain service keeps its calls up; it
    // completes the hook, or after the timeout Auto Scaling goes on anyway (CONTINUE). Its own
    // resource, not the group's initial_lifecycle_hook: a change there (the timeout follows the
    // SIP timers) replaces the whole group, as the deploy rehearsal showed. The cost: instances
    // of a brand-new group run for the seconds before the hook exists without it.
    new AutoscalingLifecycleHook(this, "drain", {
      name: drain.hookName,
      autoscalingGroupName: group.name,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout: drain.timeoutSeconds,
      defaultResult: "CONTINUE",
    });

    // Only this group's hook, and only completing it: the drain service's one call.
    new IamRolePolicy(this, "complete-drain", {
      name: "complete-drain-lifecycle-action",
      role: role.name,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "autoscaling:CompleteLifecycleAction", Resource: group.arn }],
      }),
    });
  }
}

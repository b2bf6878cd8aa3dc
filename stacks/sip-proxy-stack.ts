import { Construct } from "constructs";
import { Annotations, Aspects, LocalBackend, S3Backend, TerraformOutput } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { isReservedDomain } from "../config/dns";
import { environmentWarnings, type EnvironmentConfig, type LoadBalancingSettings } from "../config/schema";
import { ANY_ACCOUNT, PLACEHOLDER_ACCOUNT_SID, TWILIO_SIGNALING_CIDRS, twilioSipDomainOf } from "../config/twilio";
import { VpcFlowLogs } from "../constructs/flow-logs";
import { IngressDns } from "../constructs/ingress-dns";
import { Monitoring, type MonitoredProxies } from "../constructs/monitoring";
import { SipAutoscaling } from "../constructs/sip-autoscaling";
import { SipInstance } from "../constructs/sip-instance";
import type { SipLaunchTemplate, SipProxyNodesProps } from "../constructs/sip-launch-template";
import { Vpc } from "../constructs/vpc";
import { logGroupNames, projectTags, SESSION_MANAGER_LOG_GROUP } from "../config/names";
import { nodeSettingsFor } from "../config/node-settings";
import { PolicyChecks, suppressPolicy } from "./policy";
import { ReadableAddressStack } from "./unique-addresses";

/**
 * One environment's proxy: provider, state backend, network, compute, monitoring, outputs,
 * and the security policy checks (stacks/policy.ts) that must pass before anything synthesizes.
 * The only code that reads an EnvironmentConfig; constructs get typed props.
 */
export class SipProxyStack extends ReadableAddressStack {
  constructor(scope: Construct, id: string, cfg: EnvironmentConfig) {
    super(scope, id);
    // `cdktf synth` prints these; `npm run synth` prints them itself (scripts/synth.ts).
    for (const warning of environmentWarnings(cfg)) Annotations.of(this).addWarning(warning);

    Aspects.of(this).add(new PolicyChecks({ sipPorts: sipPortsOf(cfg) }));

    const commonTags = { ...cfg.tags, ...projectTags(cfg.name) };
    new AwsProvider(this, "aws", { region: cfg.region, defaultTags: [{ tags: commonTags }] });

    if (!cfg.stateBackend) {
      // Relative to the stack's folder in cdktf.out: state sits in the project root,
      // outside the folder that every synth rewrites, and no machine path is written.
      new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    } else {
      const backend = new S3Backend(this, {
        bucket: cfg.stateBackend.bucket,
        key: cfg.stateBackend.key,
        region: cfg.stateBackend.region,
        encrypt: true,
      });
      // Terraform >= 1.10 locks with a lock object next to the state; cdktf 0.21 has no prop for it.
      backend.addOverride("use_lockfile", true);
    }

    const loadBalancing = cfg.loadBalancing;
    const vpc = new Vpc(this, "vpc", {
      namePrefix: cfg.stackName,
      cidr: cfg.vpcCidr,
      publicSubnets: cfg.publicSubnets,
      privateSubnets: loadBalancing ? cfg.privateSubnets : [],
      natGateways: loadBalancing?.natGateways,
      protectAddresses: !cfg.allowElasticIpDestroy,
      sshCidr: loadBalancing ? undefined : cfg.sshCidr,
    });

    const common = {
      namePrefix: cfg.stackName,
      vpcId: vpc.vpc.id,
      allowedSipCidrs: cfg.allowedSourceCidrs,
      instanceType: cfg.instanceType,
      imageId: cfg.imageId,
      rootVolumeGb: cfg.rootVolumeGb,
      launchTags: commonTags,
      advertisedName: cfg.dns?.name,
      protectAddresses: !cfg.allowElasticIpDestroy,
      tlsPort: cfg.sip.destinationTransport === "tls" ? cfg.sip.tlsPort : undefined,
      node: nodeSettingsFor(cfg),
      account: { region: cfg.region, id: vpc.vpc.ownerId },
      logGroupNames: [logGroupNames(cfg.name).kamailio, logGroupNames(cfg.name).setup, SESSION_MANAGER_LOG_GROUP],
      secretParameter: cfg.sourceAuth && {
        name: cfg.sourceAuth.passwordParameter,
        region: cfg.region,
        keyArn: cfg.sourceAuth.passwordKeyArn,
      },
    };

    // Each exception to the policy, with the reason an auditor reads in every synth's output
    // (and in the pinned list of __tests__/unit/policy.test.ts).
    suppressPolicy(
      vpc.defaultNetworkAcl,
      "nacl-no-open-rdp",
      "network ACLs are stateless and a NAT gateway's replies come back on the port it picked, any from 1024 to 65535; denying 3389 would cut the SIP mapping that lands on it for as long as it stays busy. Nothing listens on 3389 and the security groups never admit it.",
    );
    // Every architecture is built here, and the compiler holds the switch complete: a new
    // name in ARCHITECTURES does not type-check until it has a case.
    switch (cfg.architecture) {
      case "single":
        this.buildSingle(cfg, vpc, common);
        break;
      case "load-balanced":
        this.buildLoadBalanced(cfg, cfg.loadBalancing!, vpc, common);
        break;
      default: {
        const unknown: never = cfg.architecture;
        throw new Error(`no stack for architecture ${String(unknown)}`);
      }
    }
  }

  private buildSingle(cfg: EnvironmentConfig, vpc: Vpc, common: SipProxyNodesProps): void {
    const proxy = new SipInstance(this, "proxy", {
      ...common,
      subnetId: vpc.publicSubnets[0].id,
      sshCidr: cfg.sshCidr,
      egress: vpc.publicEgress,
    });
    SipProxyStack.suppressTemplate(proxy.template);
    const address = this.dnsRecord(cfg, [proxy.elasticIp.publicIp]) ?? proxy.elasticIp.publicIp;
    this.singleInstanceOutputs(cfg, proxy, address);
    this.monitoring(cfg, vpc, proxy);
  }

  private buildLoadBalanced(
    cfg: EnvironmentConfig,
    loadBalancing: LoadBalancingSettings,
    vpc: Vpc,
    common: SipProxyNodesProps,
  ): void {
    const proxies = new SipAutoscaling(this, "proxy", {
      ...common,
      vpcCidr: cfg.vpcCidr,
      publicSubnets: vpc.publicSubnets.map((subnet, i) => ({
        availabilityZone: cfg.publicSubnets[i].availabilityZone,
        subnetId: subnet.id,
      })),
      privateSubnetIds: vpc.privateSubnets.map((subnet) => subnet.id),
      egress: vpc.privateEgress,
      internetGateway: vpc.internetGateway,
      minSize: loadBalancing.min,
      desiredCapacity: loadBalancing.desired,
      maxSize: loadBalancing.max,
      healthCheckGraceSeconds: loadBalancing.healthCheckGraceSeconds,
    });
    SipProxyStack.suppressTemplate(proxies.template);
    if (cfg.allowElasticIpDestroy) {
      suppressPolicy(
        proxies.loadBalancer,
        "nlb-deletion-protection",
        "the environment sets allowElasticIpDestroy: it is being torn down on purpose",
      );
    }
    const nlbIps = proxies.nlbElasticIps.map((eip) => eip.publicIp);
    const address = this.dnsRecord(cfg, nlbIps) ?? nlbIps[0];
    this.loadBalancedOutputs(cfg, proxies, vpc, address);
    this.monitoring(cfg, vpc, proxies);
  }

  /** The instance role's exceptions, the same in both architectures. */
  private static suppressTemplate(template: SipLaunchTemplate): void {
    suppressPolicy(
      template.ssmPolicy,
      "iam-no-managed-policies",
      "AmazonSSMManagedInstanceCore is the policy Session Manager documents for instances; a hand-scoped copy that missed an action would lock operators out of the only shell access (no SSH)",
    );
    suppressPolicy(
      template.shipLogsPolicy,
      "iam-no-wildcards",
      "the CloudWatch agent and Session Manager name log streams after instance ids and sessions, unknown until launch; the groups are named (this environment's two and the account's session log), and Session Manager looks its group up with logs:DescribeLogGroups, which has no single-group resource",
    );
    suppressPolicy(
      template.tagSelfPolicy,
      "iam-no-wildcards",
      "instance ids are unknown until launch; the conditions limit it to instances tagged with this environment's Name and to the two boot-fact tag keys",
    );
  }

  private monitoring(cfg: EnvironmentConfig, vpc: Vpc, target: MonitoredProxies): void {
    const monitoring = new Monitoring(this, "monitoring", {
      namePrefix: cfg.stackName,
      environment: cfg.name,
      region: cfg.region,
      accountId: vpc.vpc.ownerId,
      target,
      ...cfg.monitoring,
    });
    const flowLogs = new VpcFlowLogs(this, "flow-logs", {
      namePrefix: cfg.stackName,
      vpcId: vpc.vpc.id,
      region: cfg.region,
      accountId: vpc.vpc.ownerId,
      logGroup: monitoring.logGroups.flowLogs,
      sipPorts: sipPortsOf(cfg),
      twilioCidrs: TWILIO_SIGNALING_CIDRS,
      namespace: monitoring.namespace,
    });
    suppressPolicy(
      flowLogs.deliveryPolicy,
      "iam-no-wildcards",
      "log streams are created by the flow log service under names it picks, and logs:DescribeLogGroups has no single-group resource; every other action names the one flow log group",
    );
    new TerraformOutput(this, "dashboard_url", {
      value: monitoring.dashboardUrl,
      description: "CloudWatch dashboard: call outcomes (SIP replies, 408s, rejected sources), health and capacity.",
    });
    new TerraformOutput(this, "alerts_topic_arn", {
      value: monitoring.alertsTopic.arn,
      description: "SNS topic for warnings (capacity, health, answer rate); subscribe chat or email to it.",
    });
    new TerraformOutput(this, "critical_alerts_topic_arn", {
      value: monitoring.criticalTopic.arn,
      description: "SNS topic that pages: destination timeouts (408s), no healthy proxy.",
    });
    new TerraformOutput(this, "log_groups", {
      value: [monitoring.logGroups.kamailio.name, monitoring.logGroups.setup.name],
      description: "CloudWatch log groups with Kamailio's log (SIPLOG lines) and the instances' setup log.",
    });
  }

  /**
   * With a hosted zone (by name or id), the A record of every public address of the proxy;
   * returns the name to dial, or undefined when the environment has none.
   */
  private dnsRecord(cfg: EnvironmentConfig, addresses: string[]): string | undefined {
    if (!cfg.dns) return undefined;
    const { name, hostedZone, hostedZoneId } = cfg.dns;
    if (hostedZone !== undefined || hostedZoneId !== undefined) {
      new IngressDns(this, "dns", { name, hostedZone, hostedZoneId, addresses });
    }
    return name;
  }

  private twimlOutput(cfg: EnvironmentConfig, address: string, dialledAddress: string): string {
    const sipUri = `sip:EXTENSION@${address}:${cfg.sip.port}`;
    const credentials = cfg.sourceAuth
      ? ` username="${cfg.sourceAuth.username}" password="${SOURCE_AUTH_PASSWORD_PLACEHOLDER}"`
      : "";
    const sip = `<Sip${credentials}>${sipUri}</Sip>`;
    new TerraformOutput(this, "twiml", {
      value: `<Response><Dial>${sip}</Dial></Response>`,
      description: `TwiML for the source number (dials ${dialledAddress}); replace EXTENSION with the user part to dial at the destination${cfg.sourceAuth ? ` and ${SOURCE_AUTH_PASSWORD_PLACEHOLDER} with the value of SSM parameter ${cfg.sourceAuth.passwordParameter}` : ""}.`,
    });
    return sip;
  }

  /** The Twilio SIP domains whose IP ACL must list the proxy's egress addresses. */
  private static aclDomains(cfg: EnvironmentConfig): string {
    return [...new Set(cfg.destinations.map(twilioSipDomainOf))].join(", ");
  }

  /** Steps every architecture shares: the account lock's placeholder, if still there. */
  private static accountStep(cfg: EnvironmentConfig): string[] {
    if (cfg.sourceAccountSids === ANY_ACCOUNT) {
      return ['Account lock is OFF (sourceAccountSids: "any"): calls from every Twilio account are relayed.'];
    }
    if (cfg.sourceAccountSids.includes(PLACEHOLDER_ACCOUNT_SID)) {
      return [
        `Replace the placeholder ${PLACEHOLDER_ACCOUNT_SID} in sourceAccountSids (config/environments/${cfg.name}.ts) with the source account's SID and deploy again: until then every call is refused with 403.`,
      ];
    }
    return [];
  }

  /** A step for a placeholder hosted zone (config/dns.ts), if the environment still has one. */
  private static dnsZoneStep(cfg: EnvironmentConfig): string[] {
    const zone = cfg.dns?.hostedZone;
    if (zone === undefined || !isReservedDomain(zone)) return [];
    return [
      `Replace the placeholder zone "${zone}" in dns (config/environments/${cfg.name}.ts) with your public Route 53 hosted zone and a name in it: until then the deploy stops at the hosted-zone lookup.`,
    ];
  }

  /**
   * The outputs both architectures have, each a list whatever the architecture (one address
   * on single), so a script reading `terraform output -json` needs no case per architecture.
   */
  private addressOutputs(ingress: readonly string[], egress: readonly string[], domains: string): void {
    new TerraformOutput(this, "ingress_ips", {
      value: [...ingress],
      description: "Where Twilio sends calls (the TwiML's host resolves to these). Not for the destination's IP ACL.",
    });
    new TerraformOutput(this, "egress_ips", {
      value: [...egress],
      description: "Where calls leave from: the destination sees every call come from one of these.",
    });
    new TerraformOutput(this, "twilio_ip_acl", {
      value: egress.map((ip) => `${ip}/32`),
      description: `Entries for the IP Access Control List of ${domains}: every egress address as a /32.`,
    });
  }

  private singleInstanceOutputs(cfg: EnvironmentConfig, proxy: SipInstance, address: string): void {
    const ip = proxy.elasticIp.publicIp;
    new TerraformOutput(this, "elastic_ip", {
      value: ip,
      description:
        "The proxy's public address: Twilio dials it (TwiML) and the destination sees calls come from it (IP ACL).",
    });
    new TerraformOutput(this, "instance_id", {
      value: proxy.instance.id,
      description: "EC2 instance running Kamailio.",
    });
    new TerraformOutput(this, "private_ip", {
      value: proxy.instance.privateIp,
      description: "Address Kamailio listens on inside the VPC.",
    });
    new TerraformOutput(this, "console_access", {
      value: `aws ssm start-session --region ${cfg.region} --target ${proxy.instance.id}`,
      description: "Shell on the instance through SSM Session Manager (no SSH needed).",
    });
    const sip = this.twimlOutput(cfg, address, "the Elastic IP");
    const domains = SipProxyStack.aclDomains(cfg);
    this.addressOutputs([ip], [ip], domains);
    new TerraformOutput(this, "next_steps", {
      value: numbered([
        ...SipProxyStack.accountStep(cfg),
        `Destination account: add ${ip}/32 to the IP Access Control List of ${domains}.`,
        `Source account: point the phone number at TwiML <Dial>${sip}</Dial>.`,
        `Wait for setup (about 3 minutes): ${cfg.region} instance ${proxy.instance.id}, check /var/log/sip-proxy-setup.log for "setup complete".`,
        "Place a test call; Kamailio's per-call log is /var/log/kamailio.log (lines starting SIPLOG).",
      ]),
      description: "What to do after deploying.",
    });
  }

  private loadBalancedOutputs(cfg: EnvironmentConfig, proxies: SipAutoscaling, vpc: Vpc, address: string): void {
    const natIps = vpc.natElasticIps.map((eip) => eip.publicIp);
    const nlbIps = proxies.nlbElasticIps.map((eip) => eip.publicIp);
    new TerraformOutput(this, "nlb_elastic_ips", {
      value: nlbIps,
      description: "Where Twilio sends calls (TwiML). NOT for the destination's IP ACL: calls leave through NAT.",
    });
    new TerraformOutput(this, "nat_gateway_ips", {
      value: natIps,
      description: "Egress addresses of the proxies: the destination sees every call come from one of these.",
    });
    new TerraformOutput(this, "asg_name", {
      value: proxies.group.name,
      description: "Auto Scaling Group of the proxies (instances, scaling activity, instance refresh).",
    });
    new TerraformOutput(this, "target_group_arn", {
      value: proxies.targetGroup.arn,
      description: "NLB target group: which instances are healthy and receiving calls.",
    });
    const sip = this.twimlOutput(
      cfg,
      address,
      cfg.dns ? `${cfg.dns.name}, the name of the NLB's Elastic IPs` : "the NLB",
    );
    const acl = natIps.map((ip) => `${ip}/32`);
    const domains = SipProxyStack.aclDomains(cfg);
    this.addressOutputs(nlbIps, natIps, domains);
    new TerraformOutput(this, "next_steps", {
      value: numbered([
        ...SipProxyStack.accountStep(cfg),
        ...SipProxyStack.dnsZoneStep(cfg),
        `Destination account: add each NAT gateway IP as /32 to the IP Access Control List of ${domains}: ${acl.join(", ")}. Do NOT add the NLB IP: calls leave through NAT.`,
        `Source account: point the phone number at TwiML <Dial>${sip}</Dial>.`,
        ...(cfg.dns
          ? [
              `Check that ${cfg.dns.name} resolves to every NLB Elastic IP (dig +short ${cfg.dns.name}): ${nlbIps.join(", ")}.`,
            ]
          : []),
        `Wait for the instances to turn healthy (about 5 minutes): aws elbv2 describe-target-health --region ${cfg.region} --target-group-arn ${proxies.targetGroup.arn}`,
        "Place a test call; each instance logs to /var/log/kamailio.log (lines starting SIPLOG).",
      ]),
      description: "What to do after deploying.",
    });
  }
}

/** The ports SIP reaches the proxy on: the SIP port, and the TLS port when the destination uses TLS. */
const sipPortsOf = (cfg: EnvironmentConfig): number[] =>
  cfg.sip.destinationTransport === "tls" ? [cfg.sip.port, cfg.sip.tlsPort] : [cfg.sip.port];

const numbered = (steps: readonly string[]) => steps.map((step, i) => `${i + 1}. ${step}`).join("\n");

/** Stands in for the digest password in the `twiml` output; the real value stays in SSM. */
export const SOURCE_AUTH_PASSWORD_PLACEHOLDER = "PASSWORD_FROM_SSM";

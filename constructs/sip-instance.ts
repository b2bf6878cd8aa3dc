import { Construct } from "constructs";
import { Token } from "cdktf";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { EipAssociation } from "@cdktf/provider-aws/lib/eip-association";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SipLaunchTemplate, type SipProxyNodesProps } from "./sip-launch-template";
import { SipSecurityGroup } from "./sip-security-group";
import type { Metric } from "./metric";
import type { MonitoredProxies, StatusCheckMetrics } from "./monitoring";

export interface SipInstanceProps extends SipProxyNodesProps {
  /** Public subnet the instance runs in. */
  readonly subnetId: string;
  /** @default none — no port 22 rule; shell access is by SSM Session Manager. */
  readonly sshCidr?: string;
}

/**
 * The single-instance architecture: one EC2 instance in a public subnet behind an Elastic
 * IP that serves as both the address Twilio dials and the egress address the destination
 * whitelists. The Elastic IP is allocated on its own and attached by an association, so
 * the instance's user-data can name it without a dependency cycle; replacing the
 * instance keeps the address.
 */
export class SipInstance extends Construct implements MonitoredProxies {
  readonly securityGroup: SecurityGroup;
  readonly elasticIp: Eip;
  readonly instance: Instance;
  readonly template: SipLaunchTemplate;
  readonly writesDrainLines: boolean;

  constructor(scope: Construct, id: string, props: SipInstanceProps) {
    super(scope, id);
    this.writesDrainLines = props.node.drain !== undefined;

    this.securityGroup = new SipSecurityGroup(this, "sg", {
      namePrefix: props.namePrefix,
      vpcId: props.vpcId,
      description: "SIP proxy: SIP from Twilio only",
      port: props.node.sipPort,
      sipSources: [{ label: "Twilio signaling ranges", cidrs: props.allowedSipCidrs }],
      sshCidr: props.sshCidr,
      tlsPort: props.tlsPort,
    }).securityGroup;

    this.elasticIp = new Eip(this, "ingress", {
      domain: "vpc",
      lifecycle: { preventDestroy: props.protectAddresses },
      tags: { Name: `${props.namePrefix}-ingress` },
    });

    this.template = SipLaunchTemplate.forNodes(this, props, this.securityGroup.id, this.elasticIp.publicIp);

    this.instance = new Instance(this, "Default", {
      // A new template version (e.g. a config change) replaces the instance; the Elastic IP
      // stays and is re-associated, so Twilio-facing settings do not change. The replacement
      // is created first and the address moves to it once it runs, so the old instance
      // serves until then: the gap is the new one's boot, not a terminate, a launch and a boot
      // (README "`single` is not for production traffic").
      lifecycle: { createBeforeDestroy: true },
      launchTemplate: {
        id: this.template.launchTemplate.id,
        version: Token.asString(this.template.launchTemplate.latestVersion),
      },
      subnetId: props.subnetId,
      tags: { Name: props.namePrefix },
      dependsOn: props.egress ? [...props.egress] : undefined,
    });

    new EipAssociation(this, "ingress-association", {
      allocationId: this.elasticIp.allocationId,
      instanceId: this.instance.id,
      // The new association takes the address from the old instance (AssociateAddress
      // "AllowReassociation"); deleting the old association afterwards finds it gone, which
      // the provider ignores.
      allowReassociation: true,
      lifecycle: { createBeforeDestroy: true },
      // Associating an address needs the VPC's internet gateway in place.
      dependsOn: props.egress ? [...props.egress] : undefined,
    });
  }

  metricCpuUtilization(): Metric {
    return this.metric("CPUUtilization");
  }

  /** EC2's status check of the host under the instance (System) or of its operating system (Instance). */
  metricStatusCheckFailed(check: "System" | "Instance"): Metric {
    return this.metric(`StatusCheckFailed_${check}`);
  }

  get statusChecks(): StatusCheckMetrics {
    return { system: this.metricStatusCheckFailed("System"), instance: this.metricStatusCheckFailed("Instance") };
  }

  private metric(metricName: string): Metric {
    return { namespace: "AWS/EC2", metricName, dimensions: { InstanceId: this.instance.id } };
  }
}

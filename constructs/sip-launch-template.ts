import { awsName } from "./aws-names";
import { Construct } from "constructs";
import { Fn, TerraformLocal, type ITerraformDependable } from "cdktf";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { logGroupWriter } from "./iam-statements";
import { renderNodeUserData, type ProxyNodeSettings } from "../templates/render";

import { BOOT_TAGS, DEBIAN } from "../config/platform";

/** Debian 13 amd64, resolved by EC2 at each launch, so no AWS data source is needed. */

/**
 * What Session Manager documents for an instance profile. Kept whole (a written suppression
 * of iam-no-managed-policies in the stack): a hand-scoped copy that misses one action loses
 * shell access, which is how operators reach an instance at all.
 */
export const SSM_MANAGED_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/**
 * What both architectures' proxy constructs (SipInstance, SipAutoscaling) take in common:
 * the proxy nodes, their network access and their addresses.
 */
export interface SipProxyNodesProps {
  /** Prefix for names and Name tags, e.g. `sip-proxy-dev`. */
  readonly namePrefix: string;
  readonly vpcId: string;
  /** Sources allowed to reach SIP (UDP and TCP on node.sipPort): Twilio's signaling ranges. */
  readonly allowedSipCidrs: readonly string[];
  /** An x86_64 EC2 instance type (default and its reason: config/schema.ts). */
  readonly instanceType: string;
  /** Root volume size in GiB. */
  readonly rootVolumeGb: number;
  /** A Debian 13 amd64 AMI: an id, or `resolve:ssm:` of Debian's parameter (config/schema.ts `imageId`). */
  readonly imageId: string;
  /**
   * Name Kamailio advertises instead of the public Elastic IP (it must resolve to the
   * proxy's public address or addresses). @default none — the Elastic IP
   */
  readonly advertisedName?: string;
  /** Tags for launched instances and volumes (see SipLaunchTemplateProps.launchTags). @default {} */
  readonly launchTags?: Readonly<Record<string, string>>;
  /** prevent_destroy on the Elastic IPs: the addresses Twilio dials or whitelists. */
  readonly protectAddresses: boolean;
  /**
   * TLS listener port, when the destination transport is TLS: the security group opens it
   * to the SIP sources (and, load-balanced, the NLB passes it through). @default none — no TLS
   */
  readonly tlsPort?: number;
  /** Kamailio and boot settings; the advertised address is the construct's public address. */
  readonly node: ProxyNodeSettings;
  /**
   * Resources that give the nodes' subnets their route to the internet. The first boot
   * installs packages and agents, so no node is launched before they exist.
   * @default none — the caller orders boot after egress itself
   */
  readonly egress?: readonly ITerraformDependable[];
  /** An SSM parameter the nodes read at boot (the digest password). @default none */
  readonly secretParameter?: SecretParameterAccess;
  /** Where the nodes run: their role's statements name this region and account, not `*`. */
  readonly account: AccountScope;
  /**
   * Log groups the nodes write to (the role may write only there): the CloudWatch agent's, and
   * the account's Session Manager log group.
   */
  readonly logGroupNames: readonly string[];
}

/** A region of one AWS account. */
export interface AccountScope {
  readonly region: string;
  /** The account id; a reference (e.g. the VPC's owner_id) when it is known only at apply. */
  readonly id: string;
}

/** Read access to one SSM SecureString parameter, and nothing else of Parameter Store. */
export interface SecretParameterAccess {
  /** Parameter name, starting with "/". */
  readonly name: string;
  readonly region: string;
  /**
   * The customer managed key that encrypts it; the role may decrypt with it only through SSM.
   * @default none — the AWS managed key aws/ssm, which needs no grant: "The AWS managed key
   * for Parameter Store (aws/ssm) grants Decrypt permission to all IAM principals in the AWS
   * account" (Systems Manager User Guide, "Restricting decryption of SecureString parameter values").
   */
  readonly keyArn?: string;
}

export interface SipLaunchTemplateProps {
  /** Prefix for names and Name tags, e.g. `sip-proxy-dev`. */
  readonly namePrefix: string;
  readonly instanceType: string;
  readonly securityGroupIds: readonly string[];
  /**
   * Shell script run at first boot. May contain cdktf tokens (e.g. an Elastic IP); all
   * other text reaches the instance byte for byte.
   */
  readonly userData: string;
  /** Root volume size in GiB (default and its reason: config/schema.ts). */
  readonly rootVolumeGb: number;
  /**
   * Tags for the instances and volumes launched from the template. The provider's
   * default tags do not reach them, so pass the stack's common tags here.
   * @default {} — only Name
   */
  readonly launchTags?: Readonly<Record<string, string>>;
  /**
   * A Debian 13 amd64 AMI: the root device name below and the user-data assume Debian's image.
   */
  readonly imageId: string;
  /** An SSM parameter the instances read at boot. @default none */
  readonly secretParameter?: SecretParameterAccess;
  readonly account: AccountScope;
  /** The log groups the instances' CloudWatch agent writes to. */
  readonly logGroupNames: readonly string[];
}

/**
 * Everything an instance of the proxy is made from, shared by the single-instance and
 * the autoscaling architectures: IAM role and profile (SSM Session Manager, CloudWatch
 * agent), and a launch template (AMI, type, IMDSv2 only, encrypted gp3 root, user-data).
 */
export class SipLaunchTemplate extends Construct {
  readonly role: IamRole;
  /** The AWS managed policy Session Manager needs (suppressed with a reason by the stack). */
  readonly ssmPolicy: IamRolePolicyAttachment;
  /** Log shipping to the environment's groups; any stream in them (streams are instance ids). */
  readonly shipLogsPolicy: IamRolePolicy;
  /** Tagging itself at boot; any instance id, bounded by the Name tag and two tag keys. */
  readonly tagSelfPolicy: IamRolePolicy;
  readonly instanceProfile: IamInstanceProfile;
  readonly launchTemplate: LaunchTemplate;

  /** The template of a proxy construct's nodes, advertising `publicAddress` unless a name is set. */
  static forNodes(scope: Construct, props: SipProxyNodesProps, securityGroupId: string, publicAddress: string) {
    return new SipLaunchTemplate(scope, "template", {
      namePrefix: props.namePrefix,
      instanceType: props.instanceType,
      rootVolumeGb: props.rootVolumeGb,
      imageId: props.imageId,
      securityGroupIds: [securityGroupId],
      launchTags: props.launchTags,
      userData: renderNodeUserData(props.node, props.advertisedName ?? publicAddress),
      secretParameter: props.secretParameter,
      account: props.account,
      logGroupNames: props.logGroupNames,
    });
  }

  constructor(scope: Construct, id: string, props: SipLaunchTemplateProps) {
    super(scope, id);

    this.role = new IamRole(this, "role", {
      name: awsName(this, "iamRole", `${props.namePrefix}-instance`),
      description: "SIP proxy instances: SSM Session Manager, CloudWatch agent, tagging themselves at boot",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    this.ssmPolicy = new IamRolePolicyAttachment(this, "role-ssm", {
      role: this.role.name,
      policyArn: SSM_MANAGED_POLICY,
    });
    // In place of CloudWatchAgentServerPolicy, which grants its logs actions on "*": the agent
    // here only tails files into existing log groups (its config has no "metrics" section, so
    // no cloudwatch:PutMetricData), and of that policy's actions it needs CreateLogStream,
    // PutLogEvents and DescribeLogStreams ("CloudWatch agent ... IAM permissions", CloudWatch
    // user guide; the managed policy's other actions create groups, set retention, read SSM
    // configuration and X-Ray, none of which this agent does).
    this.shipLogsPolicy = new IamRolePolicy(this, "role-ship-logs", {
      name: "ship-logs-to-own-log-groups",
      role: this.role.name,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          logGroupWriter(
            props.logGroupNames.map(
              (name) => `arn:aws:logs:${props.account.region}:${props.account.id}:log-group:${name}`,
            ),
          ),
          // Session Manager's agent checks the session log group (and its encryption) before
          // it streams a shell session there ("Creating an IAM role with permissions for
          // Session Manager and Amazon S3 and CloudWatch Logs", Systems Manager user guide).
          {
            Effect: "Allow",
            Action: "logs:DescribeLogGroups",
            Resource: `arn:aws:logs:${props.account.region}:${props.account.id}:log-group:*`,
          },
        ],
      }),
    });
    // At boot each instance tags itself with the image and Kamailio version it runs: only
    // those two tag keys, and only on instances this template launched (their Name tag).
    this.tagSelfPolicy = new IamRolePolicy(this, "role-tag-self", {
      name: "tag-self-with-boot-facts",
      role: this.role.name,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "ec2:CreateTags",
            // Instance ids are unknown until launch; the conditions bound it.
            Resource: `arn:aws:ec2:${props.account.region}:${props.account.id}:instance/*`,
            Condition: {
              StringEquals: { "aws:ResourceTag/Name": props.namePrefix },
              "ForAllValues:StringEquals": { "aws:TagKeys": Object.values(BOOT_TAGS) },
            },
          },
        ],
      }),
    });
    if (props.secretParameter) this.allowReading(props.secretParameter, props.account);
    this.instanceProfile = new IamInstanceProfile(this, "profile", {
      name: awsName(this, "instanceProfile", `${props.namePrefix}-instance`),
      role: this.role.name,
    });

    // The script lives in a local so that the function call only holds a reference: cdktf
    // would otherwise re-escape the literal text inside base64gzip("...").
    const userData = new TerraformLocal(this, "user-data", escapeTerraformTemplate(props.userData));
    const tags = { Name: props.namePrefix };
    const launchTags = { ...props.launchTags, Name: props.namePrefix };
    this.launchTemplate = new LaunchTemplate(this, "Default", {
      name: awsName(this, "launchTemplate", props.namePrefix),
      description: "Kamailio SIP proxy instance",
      imageId: props.imageId,
      instanceType: props.instanceType,
      vpcSecurityGroupIds: [...props.securityGroupIds],
      iamInstanceProfile: { arn: this.instanceProfile.arn },
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
      },
      blockDeviceMappings: [
        {
          // The image's own root device: any other name adds an empty volume instead of
          // sizing and encrypting the root.
          deviceName: DEBIAN.rootDeviceName,
          ebs: {
            volumeSize: props.rootVolumeGb,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      monitoring: { enabled: true },
      // gzip keeps the script well under the 16 KB user-data limit; cloud-init unpacks it.
      userData: Fn.base64gzip(userData.asString),
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: "instance", tags: launchTags },
        { resourceType: "volume", tags: launchTags },
        { resourceType: "network-interface", tags: launchTags },
      ],
      tags,
    });
  }

  private allowReading(parameter: SecretParameterAccess, account: AccountScope): void {
    const statements: object[] = [
      {
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: `arn:aws:ssm:${parameter.region}:${account.id}:parameter${parameter.name}`,
      },
    ];
    if (parameter.keyArn) {
      statements.push({
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: parameter.keyArn,
        Condition: { StringEquals: { "kms:ViaService": `ssm.${parameter.region}.amazonaws.com` } },
      });
    }
    new IamRolePolicy(this, "role-read-secret", {
      name: "read-source-auth-password",
      role: this.role.name,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    });
  }
}

/**
 * Terraform reads `${` and `%{` in any string as template syntax. Escape them in literal
 * text so shell and Kamailio variables reach the instance intact, while cdktf tokens
 * (`${TfToken[...]}`) are left for cdktf to turn into references.
 */
export function escapeTerraformTemplate(text: string): string {
  return text.replace(/\$\{(?!TfToken\[)/g, () => "$${").replace(/%\{/g, () => "%%{");
}

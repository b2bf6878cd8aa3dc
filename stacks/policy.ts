// Security policy checked on every synthesized stack. A violation is an error annotation on
// the offending construct, so `npm run synth` (and cdktf synth/deploy) fails and names the
// resource and the rule. A rule can be suppressed for one construct (and its children) only
// with a written reason, which is then reported as a warning on every synth.
import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  Annotations,
  DefaultTokenResolver,
  StringConcat,
  TerraformBackend,
  TerraformResource,
  TerraformStack,
  Tokenization,
  type App,
  type IAspect,
} from "cdktf";
import { DefaultNetworkAcl } from "@cdktf/provider-aws/lib/default-network-acl";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import type { Construct, IConstruct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { PROJECT_TAG_NAMES } from "../config/names";
import { ConstructError } from "../constructs/construct-error";

export const POLICY_RULES = {
  imdsv2: 'instances must require IMDSv2 tokens (metadata_options.http_tokens = "required")',
  "ebs-encrypted": "every EBS volume must be encrypted",
  "no-open-ssh-or-sip": "no security group rule may open SSH or SIP to 0.0.0.0/0 or ::/0",
  "required-tags": "every taggable resource must carry Project, Environment and ManagedBy",
  "s3-backend-encrypted-locked": "an S3 state backend must be encrypted and use a lock file",
  "sns-encrypted": "SNS topics must be encrypted with a KMS key",
  "sns-tls-only":
    "SNS topics must refuse requests not made over TLS: a topic policy that denies aws:SecureTransport = false (cdk-nag AwsSolutions-SNS3)",
  "nlb-deletion-protection":
    "load balancers must have deletion protection, as the Elastic IPs Twilio dials sit on them (FSBP ELB.6)",
  "default-sg-closed":
    "each VPC's default security group must be managed with no rules, so nothing attached to it by default is reachable (FSBP EC2.2)",
  "vpc-flow-logs":
    "each VPC must log at least its rejected traffic (FSBP EC2.6, cdk-nag AwsSolutions-VPC7): the only trace of what the security groups drop",
  "log-group-encrypted":
    "log groups must be encrypted with a customer managed KMS key (AWS Config cloudwatch-log-group-encrypted): SIPLOG lines are personal data",
  "log-group-retention":
    "log groups must expire their events after a stated number of days (Security Hub CloudWatch.16), never keep them forever",
  "iam-no-managed-policies":
    "roles must not attach AWS managed policies (cdk-nag AwsSolutions-IAM4): they grant more than the project uses and change without review",
  "iam-no-wildcards": 'identity policies must not use "*" in actions or resources (cdk-nag AwsSolutions-IAM5)',
  "nacl-no-open-ssh":
    "no network ACL, the default one included, may let port 22 in from 0.0.0.0/0 or ::/0 (FSBP EC2.21)",
  "nacl-no-open-rdp":
    "no network ACL, the default one included, may let port 3389 in from 0.0.0.0/0 or ::/0 (FSBP EC2.21)",
  "nlb-security-group":
    "network load balancers must have a security group, which AWS allows only at creation (ELB user guide, NLB security groups)",
} as const;
export type PolicyRule = keyof typeof POLICY_RULES;

export const REQUIRED_TAGS = PROJECT_TAG_NAMES;
/** What an instance launched from a template creates, each needing its own tag_specifications. */
const LAUNCHED_RESOURCE_TYPES = ["instance", "volume", "network-interface"];
const MIN_REASON_LENGTH = 20;
const SUPPRESSION_KEY = "sip-proxy:policy-suppression";
const VIOLATION_KEY = "sip-proxy:policy-violation";
const SUPPRESSED_KEY = "sip-proxy:policy-suppressed";

/** A violation a written reason let through. */
export interface AppliedSuppression {
  readonly stack: string;
  readonly rule: PolicyRule;
  readonly where: string;
  readonly reason: string;
}

/** Every suppression that took effect under `root` (after a synth has run the aspect). */
export function policySuppressions(root: IConstruct): AppliedSuppression[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === SUPPRESSED_KEY).map((m) => m.data as AppliedSuppression));
}

export interface PolicyViolation {
  readonly rule: PolicyRule;
  /** The Terraform address (or construct path) of the offending element. */
  readonly where: string;
  readonly message: string;
}

/** Synth stopped because the policy rejected resources; each violation names its rule. */
export class PolicyViolationError extends Error {
  override name = "PolicyViolationError";
  constructor(readonly violations: readonly PolicyViolation[]) {
    super(violations.map((v) => v.message).join("\n"));
  }
}

/** Every violation the policy aspect recorded under `root` (after a synth has run it). */
export function policyViolations(root: IConstruct): PolicyViolation[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === VIOLATION_KEY).map((m) => m.data as PolicyViolation));
}

/**
 * app.synth(), with a policy failure raised as a PolicyViolationError (cdktf reports error
 * annotations as a plain Error) so callers can tell it from a crash by type.
 */
export function synthesizeChecked(app: App): void {
  try {
    app.synth();
  } catch (error) {
    const violations = policyViolations(app);
    if (violations.length > 0) throw new PolicyViolationError(violations);
    throw error;
  }
  // cdktf skips its own error check when CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS is set (to
  // any value: terraform-stack.js tests `!== undefined`) and writes the stacks anyway. The
  // policy is this project's, not cdktf's: no environment variable turns it off, and a stack
  // that violates it is removed from the output so nobody deploys it.
  const violations = policyViolations(app);
  if (violations.length > 0) {
    const offending = new Set(
      app.node
        .findAll()
        .filter((c) => c.node.metadata.some((m) => m.type === VIOLATION_KEY))
        .map((c) => TerraformStack.of(c).node.id),
    );
    for (const stack of offending) rmSync(join(app.outdir, "stacks", stack), { recursive: true, force: true });
    throw new PolicyViolationError(violations);
  }
}

/** Exempts `scope` (and everything under it) from one rule. The reason is mandatory. */
export function suppressPolicy(scope: Construct, rule: PolicyRule, reason: string): void {
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new ConstructError(
      scope,
      `suppressing policy "${rule}" needs a written reason of at least ${MIN_REASON_LENGTH} characters`,
    );
  }
  scope.node.addMetadata(SUPPRESSION_KEY, { rule, reason });
}

function suppression(node: IConstruct, rule: PolicyRule): string | undefined {
  for (const scope of [...node.node.scopes].reverse()) {
    const entry = scope.node.metadata.find(
      (m) => m.type === SUPPRESSION_KEY && (m.data as { rule: string }).rule === rule,
    );
    if (entry) return (entry.data as { reason: string }).reason;
  }
  return undefined;
}

type Attributes = Record<string, unknown>;

function resourceAttributes(resource: TerraformResource): Attributes {
  const byType = resource.toTerraform().resource as Record<string, Record<string, Attributes>>;
  return Object.values(Object.values(byType)[0])[0];
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const isTrue = (value: unknown) => value === true || value === "true";
const OPEN = ["0.0.0.0/0", "::/0"];

export interface PolicyChecksProps {
  /** SIP ports of the stack (the configured port; 5060 and 5061 are always checked). */
  readonly sipPorts: readonly number[];
}

export class PolicyChecks implements IAspect {
  private readonly sipPorts: number[];

  constructor(props: PolicyChecksProps) {
    this.sipPorts = [...new Set([5060, 5061, ...props.sipPorts])];
  }

  visit(node: IConstruct): void {
    if (node instanceof TerraformStack) this.checkStack(node);
    if (node instanceof TerraformResource) this.checkResource(node, resourceAttributes(node));
    else if (node instanceof AwsProvider) this.checkProvider(node);
    else if (node instanceof TerraformBackend) this.checkBackend(node);
  }

  private report(node: IConstruct, rule: PolicyRule, detail: string): void {
    const reason = suppression(node, rule);
    const where =
      node instanceof TerraformResource ? `${node.terraformResourceType}.${node.friendlyUniqueId}` : node.node.path;
    if (reason) {
      Annotations.of(node).addWarning(`Policy "${rule}" suppressed for ${where}: ${reason}`);
      node.node.addMetadata(SUPPRESSED_KEY, {
        stack: TerraformStack.of(node).node.id,
        rule,
        where,
        reason,
      } satisfies AppliedSuppression);
      return;
    }
    const message = `Policy violation [${rule}] at ${where}: ${POLICY_RULES[rule]}; ${detail}`;
    node.node.addMetadata(VIOLATION_KEY, { rule, where, message } satisfies PolicyViolation);
    Annotations.of(node).addError(message);
  }

  private checkResource(node: TerraformResource, a: Attributes): void {
    switch (node.terraformResourceType) {
      case "aws_launch_template":
        return this.checkLaunchTemplate(node, a);
      case "aws_instance":
        return this.checkInstance(node, a);
      case "aws_ebs_volume":
        if (!isTrue(a.encrypted)) this.report(node, "ebs-encrypted", "set encrypted = true");
        return;
      case "aws_security_group":
        for (const rule of asArray(a.ingress as Attributes[])) this.checkIngress(node, rule);
        return;
      case "aws_security_group_rule":
        if (a.type === "ingress") this.checkIngress(node, a);
        return;
      case "aws_vpc_security_group_ingress_rule":
        this.checkIngress(node, {
          protocol: a.ip_protocol,
          from_port: a.from_port,
          to_port: a.to_port,
          cidr_blocks: asArray(a.cidr_ipv4 as string),
          ipv6_cidr_blocks: asArray(a.cidr_ipv6 as string),
        });
        return;
      case "aws_sns_topic":
        if (!a.kms_master_key_id) this.report(node, "sns-encrypted", "set kms_master_key_id");
        return;
      case "aws_autoscaling_group":
        return this.checkGroupTags(node, a);
      case "aws_lb":
        if (!isTrue(a.enable_deletion_protection))
          this.report(node, "nlb-deletion-protection", "set enable_deletion_protection = true");
        if (a.load_balancer_type === "network" && asArray(a.security_groups as string[]).length === 0)
          this.report(node, "nlb-security-group", "set security_groups (only possible when the NLB is created)");
        return;
      case "aws_cloudwatch_log_group":
        if (!a.kms_key_id) this.report(node, "log-group-encrypted", "set kms_key_id");
        if (!(Number(a.retention_in_days) > 0))
          this.report(node, "log-group-retention", "set retention_in_days (from the environment's config)");
        return;
      case "aws_iam_role_policy_attachment":
      case "aws_iam_policy_attachment":
        if (String(a.policy_arn).startsWith("arn:aws:iam::aws:policy/"))
          this.report(node, "iam-no-managed-policies", `${String(a.policy_arn)} is an AWS managed policy`);
        return;
      case "aws_iam_role":
        if (asArray(a.managed_policy_arns as string[]).some((arn) => arn.startsWith("arn:aws:iam::aws:policy/")))
          this.report(node, "iam-no-managed-policies", "managed_policy_arns lists an AWS managed policy");
        return;
      case "aws_iam_role_policy":
      case "aws_iam_policy":
        return this.checkIdentityPolicy(node);
      case "aws_default_network_acl":
      case "aws_network_acl":
        return this.checkNetworkAcl(
          node,
          asArray(a.ingress as Attributes[]).map((r) => ({
            ruleNo: Number(r.rule_no),
            action: String(r.action),
            protocol: String(r.protocol),
            cidrs: [r.cidr_block, r.ipv6_cidr_block].filter((c): c is string => typeof c === "string"),
            fromPort: Number(r.from_port),
            toPort: Number(r.to_port),
          })),
        );
    }
  }

  /** cdk-nag IAM5: a "*" anywhere in an allowed action or resource. */
  private checkIdentityPolicy(node: TerraformResource): void {
    // Parsed before resolving, like the topic policies: references are opaque token strings.
    const statements = policyStatements((node as unknown as { policyInput?: unknown }).policyInput);
    if (!statements) {
      this.report(node, "iam-no-wildcards", "its policy is not a JSON document the check can read");
      return;
    }
    const wildcards = statements
      .filter((statement) => statement.Effect === "Allow")
      .flatMap((statement) => [
        ...asArray(statement.Action as string | string[]),
        ...asArray(statement.Resource as string | string[]),
      ])
      .filter((value) => value.includes("*"));
    if (wildcards.length > 0) {
      const shown = [...new Set(wildcards)].map((w) => String(resolveIn(node, w)));
      this.report(node, "iam-no-wildcards", `allows ${shown.join(", ")}`);
    }
  }

  /**
   * FSBP EC2.21 asks whether the ACL lets 22 or 3389 in from anywhere. A network ACL applies
   * the lowest-numbered rule that matches and ignores the rest ("Rules are evaluated starting
   * with the lowest numbered rule. As soon as a rule matches traffic, it's applied regardless
   * of any higher-numbered rule that might contradict it", VPC user guide, network ACL rules),
   * so each port and protocol is followed through the rules that cover the whole internet.
   */
  private checkNetworkAcl(node: TerraformResource, rules: readonly AclRule[]): void {
    for (const [rule, port] of [
      ["nacl-no-open-ssh", 22],
      ["nacl-no-open-rdp", 3389],
    ] as const) {
      const open = ["tcp", "udp"].filter((protocol) => aclAdmitsFromAnywhere(rules, protocol, port));
      if (open.length > 0) this.report(node, rule, `port ${port} (${open.join(", ")}) is let in from anywhere`);
    }
  }

  /**
   * Rules about what a stack lacks: a topic without a TLS-only policy, a VPC whose default
   * security group is left as AWS made it. References are compared as Terraform resolves them.
   */
  private checkStack(stack: TerraformStack): void {
    const all = stack.node.findAll();
    const resolve = (value: unknown): unknown =>
      Tokenization.resolve(value, {
        scope: stack,
        preparing: false,
        resolver: new DefaultTokenResolver(new StringConcat()),
      });
    const ref = (value: unknown) => JSON.stringify(resolve(value));
    const denyingPlainText = new Set(
      all
        .filter((c): c is SnsTopicPolicy => c instanceof SnsTopicPolicy)
        // Parsed before resolving: a reference such as element(split(":", ...)) would put raw
        // quotes into the JSON text; unresolved, it is an opaque token string.
        .filter((p) => deniesInsecureTransport(p.policyInput))
        .map((p) => ref(p.arnInput)),
    );
    for (const topic of all.filter((c): c is SnsTopic => c instanceof SnsTopic)) {
      if (!denyingPlainText.has(ref(topic.arn))) {
        this.report(
          topic,
          "sns-tls-only",
          "add an aws_sns_topic_policy denying sns:* when aws:SecureTransport is false",
        );
      }
    }
    const closed = new Set(
      all
        .filter((c): c is DefaultSecurityGroup => c instanceof DefaultSecurityGroup)
        .filter((g) => asArray(resolve(g.ingressInput) as unknown[]).length === 0)
        .filter((g) => asArray(resolve(g.egressInput) as unknown[]).length === 0)
        .map((g) => ref(g.vpcIdInput)),
    );
    const logged = new Set(
      all
        .filter((c): c is FlowLog => c instanceof FlowLog)
        .filter((f) => ["REJECT", "ALL"].includes(String(resolve(f.trafficTypeInput))))
        .map((f) => ref(f.vpcIdInput)),
    );
    const aclManaged = new Set(
      all
        .filter((c): c is DefaultNetworkAcl => c instanceof DefaultNetworkAcl)
        .map((acl) => ref(acl.defaultNetworkAclIdInput)),
    );
    for (const vpc of all.filter((c): c is Vpc => c instanceof Vpc)) {
      if (!closed.has(ref(vpc.id))) {
        this.report(vpc, "default-sg-closed", "add an aws_default_security_group for it with no ingress or egress");
      }
      if (!logged.has(ref(vpc.id))) {
        this.report(vpc, "vpc-flow-logs", 'add an aws_flow_log for it with traffic_type "REJECT" or "ALL"');
      }
      // Left to AWS, the default ACL's rule 100 lets everything in from anywhere.
      if (!aclManaged.has(ref(vpc.defaultNetworkAclId))) {
        for (const rule of ["nacl-no-open-ssh", "nacl-no-open-rdp"] as const) {
          this.report(
            vpc,
            rule,
            "its default network ACL is unmanaged (AWS's admits all); adopt it with aws_default_network_acl",
          );
        }
      }
    }
  }

  /** Provider default_tags do not reach an Auto Scaling group or what it launches. */
  private checkGroupTags(node: TerraformResource, a: Attributes): void {
    const tags = asArray(a.tag as Attributes[]);
    const missing = REQUIRED_TAGS.filter(
      (t) => !tags.some((tag) => tag.key === t && tag.value && isTrue(tag.propagate_at_launch)),
    );
    if (missing.length > 0) {
      this.report(node, "required-tags", `tag blocks (propagated at launch) lack ${missing.join(", ")}`);
    }
  }

  private checkLaunchTemplate(node: TerraformResource, a: Attributes): void {
    const metadata = a.metadata_options as Attributes | undefined;
    if (metadata?.http_tokens !== "required")
      this.report(node, "imdsv2", 'set metadata_options.http_tokens = "required"');
    for (const mapping of asArray(a.block_device_mappings as Attributes[])) {
      const ebs = mapping.ebs as Attributes | undefined;
      if (ebs && !isTrue(ebs.encrypted)) {
        this.report(node, "ebs-encrypted", `block device ${String(mapping.device_name)} is not encrypted`);
      }
    }
    // Instances and volumes launched from a template do not get the provider's default tags.
    for (const spec of asArray(a.tag_specifications as Attributes[])) {
      const tags = (spec.tags ?? {}) as Record<string, string>;
      const missing = REQUIRED_TAGS.filter((t) => !tags[t]);
      if (missing.length > 0) {
        this.report(
          node,
          "required-tags",
          `tag_specifications for ${String(spec.resource_type)} lack ${missing.join(", ")}`,
        );
      }
    }
    const tagged = asArray(a.tag_specifications as Attributes[]).map((spec) => spec.resource_type);
    const untagged = LAUNCHED_RESOURCE_TYPES.filter((type) => !tagged.includes(type));
    if (untagged.length > 0) {
      this.report(
        node,
        "required-tags",
        `launched ${untagged.join(", ")} get no tags (no tag_specifications for them)`,
      );
    }
  }

  private checkInstance(node: TerraformResource, a: Attributes): void {
    const metadata = a.metadata_options as Attributes | undefined;
    if (metadata ? metadata.http_tokens !== "required" : !a.launch_template) {
      this.report(
        node,
        "imdsv2",
        'set metadata_options.http_tokens = "required" (or launch from a template that does)',
      );
    }
    const root = a.root_block_device as Attributes | undefined;
    if (root && !isTrue(root.encrypted)) this.report(node, "ebs-encrypted", "root_block_device is not encrypted");
    for (const ebs of asArray(a.ebs_block_device as Attributes[])) {
      if (!isTrue(ebs.encrypted)) this.report(node, "ebs-encrypted", `${String(ebs.device_name)} is not encrypted`);
    }
  }

  private checkIngress(node: TerraformResource, rule: Attributes): void {
    const sources = [...asArray(rule.cidr_blocks as string[]), ...asArray(rule.ipv6_cidr_blocks as string[])];
    const open = sources.filter((c) => OPEN.includes(c));
    if (open.length === 0) return;
    const all = rule.protocol === "-1" || rule.protocol === "all";
    const from = Number(rule.from_port);
    const to = Number(rule.to_port);
    const covers = (port: number) => all || (from <= port && port <= to);
    const exposed = [22, ...this.sipPorts].filter(covers);
    if (exposed.length > 0) {
      this.report(node, "no-open-ssh-or-sip", `port(s) ${exposed.join(", ")} open to ${open.join(", ")}`);
    }
  }

  private checkProvider(node: AwsProvider): void {
    const config = (node.toTerraform().provider as Record<string, Attributes[]>).aws[0];
    const tags = (asArray(config.default_tags as Attributes[])[0]?.tags ?? {}) as Record<string, string>;
    const missing = REQUIRED_TAGS.filter((t) => !tags[t]);
    if (missing.length > 0) this.report(node, "required-tags", `provider default_tags lack ${missing.join(", ")}`);
  }

  private checkBackend(node: TerraformBackend): void {
    const backend = (node.toTerraform().terraform as { backend: Record<string, Attributes> }).backend;
    const s3 = backend.s3;
    if (!s3) return;
    const missing = [!isTrue(s3.encrypt) && "encrypt = true", !isTrue(s3.use_lockfile) && "use_lockfile = true"].filter(
      Boolean,
    );
    if (missing.length > 0) this.report(node, "s3-backend-encrypted-locked", `set ${missing.join(" and ")}`);
  }
}

/** A value as Terraform will see it, references written `${type.name.attribute}`. */
function resolveIn(node: IConstruct, value: unknown): unknown {
  return Tokenization.resolve(value, {
    scope: node,
    preparing: false,
    resolver: new DefaultTokenResolver(new StringConcat()),
  });
}

interface AclRule {
  readonly ruleNo: number;
  readonly action: string;
  readonly protocol: string;
  readonly cidrs: readonly string[];
  readonly fromPort: number;
  readonly toPort: number;
}

const PROTOCOL_NUMBERS: Record<string, string> = { tcp: "6", udp: "17" };

/** Whether a packet to `port` from an address no narrower rule names gets in. */
function aclAdmitsFromAnywhere(rules: readonly AclRule[], protocol: string, port: number): boolean {
  const matching = [...rules]
    .sort((a, b) => a.ruleNo - b.ruleNo)
    .find(
      (r) =>
        r.cidrs.some((c) => OPEN.includes(c)) &&
        (r.protocol === "-1" ||
          r.protocol === "all" ||
          r.protocol === protocol ||
          r.protocol === PROTOCOL_NUMBERS[protocol]) &&
        (r.protocol === "-1" || r.protocol === "all" || (r.fromPort <= port && port <= r.toPort)),
    );
  // No rule matches: the ACL's final "*" rule denies.
  return matching?.action === "allow";
}

/** A policy document's statements (JSON text or an object), or undefined when it cannot be read. */
function policyStatements(policy: unknown): Attributes[] | undefined {
  try {
    const document = (typeof policy === "string" ? JSON.parse(policy) : policy) as { Statement?: unknown };
    return asArray(document?.Statement as Attributes[]);
  } catch {
    return undefined;
  }
}

/** Whether a topic policy (JSON) denies every request made without TLS. */
function deniesInsecureTransport(policy: unknown): boolean {
  return (policyStatements(policy) ?? []).some((statement) => {
    const condition = (statement.Condition as Record<string, Record<string, unknown>> | undefined)?.Bool;
    const actions = asArray(statement.Action as string | string[]).map((a) => a.toLowerCase());
    return (
      statement.Effect === "Deny" &&
      (statement.Principal === "*" || JSON.stringify(statement.Principal) === '{"AWS":"*"}') &&
      (actions.includes("sns:*") || actions.includes("sns:publish")) &&
      String(condition?.["aws:SecureTransport"]) === "false"
    );
  });
}

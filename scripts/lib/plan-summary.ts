// Turns a real Terraform plan (`terraform show -json <planfile>`) into the pull-request
// comment: Terraform's own counts, and one line nobody can miss for every resource that
// would be replaced or destroyed.
import { ADDRESS_LOSS_EXIT, lossesInPlan, refusalMessage, refusedLosses, type StackEnvironment } from "./address-guard";
import { ADDRESSABLE } from "./replacement-rules";

/**
 * Alerting resources: destroying one raises no error anywhere, alerts just stop arriving.
 * A review must see it as loudly as a lost Elastic IP.
 */
export const ALERTING: Readonly<Record<string, string>> = {
  aws_sns_topic_subscription:
    "ALERTING: that subscriber (the pager endpoint or an email) stops receiving alerts; a pager subscription is lost when a deploy runs without TF_VAR_critical_alerts_https_endpoint",
  aws_sns_topic: "ALERTING: every alarm that publishes to this topic reaches nobody",
  aws_cloudwatch_metric_alarm: "ALERTING: this alarm no longer fires",
  aws_kms_key: "ALERTING: the alert topics encrypted with this key can no longer deliver",
};

/** The parts of Terraform's JSON plan format (format_version 1.x) this summary reads. */
export interface PlanJson {
  readonly terraform_version?: string;
  readonly resource_changes?: readonly {
    readonly address: string;
    readonly type: string;
    readonly mode?: string;
    readonly previous_address?: string;
    readonly action_reason?: string;
    readonly change: { readonly actions: readonly string[]; readonly replace_paths?: readonly (string | number)[][] };
  }[];
}

export interface PlannedChange {
  readonly address: string;
  readonly action: "create" | "update" | "replace" | "delete" | "forget" | "move";
  readonly replacePaths: readonly string[];
  readonly movedFrom?: string;
  /** For Elastic IPs, NLBs, NAT gateways and alerting resources: what losing this one costs. */
  readonly danger?: string;
}

export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly forget: number;
  readonly changes: readonly PlannedChange[];
}

function actionOf(actions: readonly string[]): PlannedChange["action"] | undefined {
  const key = actions.join(",");
  if (key === "create" || key === "update" || key === "delete" || key === "forget") return key;
  if (key === "delete,create" || key === "create,delete") return "replace";
  return undefined; // no-op, read
}

/** Terraform's path steps (`["launch_template", 0, "version"]`) as `launch_template[0].version`. */
const pathText = (steps: readonly (string | number)[]) =>
  steps.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");

export function summarizePlan(plan: PlanJson): PlanSummary {
  const changes: PlannedChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === "data") continue;
    // A move alone is a no-op to Terraform, but a reviewer wants to see the rename was safe.
    const action = actionOf(rc.change.actions) ?? (rc.previous_address ? "move" : undefined);
    if (!action) continue;
    const lost = action === "replace" || action === "delete";
    changes.push({
      address: rc.address,
      action,
      replacePaths: (rc.change.replace_paths ?? []).map(pathText),
      movedFrom: rc.previous_address,
      danger: lost ? (ADDRESSABLE[rc.type] ?? ALERTING[rc.type]) : undefined,
    });
  }
  // Same arithmetic as Terraform's "Plan: N to add, N to change, N to destroy." line.
  const count = (...actions: PlannedChange["action"][]) => changes.filter((c) => actions.includes(c.action)).length;
  return {
    add: count("create", "replace"),
    change: count("update"),
    destroy: count("delete", "replace"),
    forget: count("forget"),
    changes,
  };
}

export function planLine(s: PlanSummary): string {
  return `Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy${s.forget ? `, ${s.forget} to forget` : ""}.`;
}

/** The loud lines: one per replaced or destroyed resource, Elastic IPs, NLBs and NAT gateways first. */
export function warnings(s: PlanSummary): string[] {
  const lost = s.changes.filter((c) => c.action === "replace" || c.action === "delete");
  lost.sort((a, b) => Number(Boolean(b.danger)) - Number(Boolean(a.danger)));
  return lost.map((c) => {
    const verb = c.action === "replace" ? "REPLACED" : "DESTROYED";
    const cause = c.replacePaths.length > 0 ? ` (forced by ${c.replacePaths.map((p) => `\`${p}\``).join(", ")})` : "";
    return `:rotating_light: **\`${c.address}\` will be ${verb}**${cause}${c.danger ? `: ${c.danger}` : ""}`;
  });
}

/** Hidden marker that lets the workflow update its own comment instead of adding one per push. */
export const commentMarker = (stack: string) => `<!-- sip-proxy-diff:${stack} -->`;

// GitHub rejects comments over 65,536 characters; the plan text gets what the summary leaves.
const PLAN_TEXT_LIMIT = 55000;
/** How much of the plan's end is always kept. */
const PLAN_TEXT_TAIL = 3000;

const SYMBOL = { create: "+", update: "~", replace: "-/+", delete: "-", forget: "forget", move: "moved" } as const;

export function renderMarkdown(stack: string, summary: PlanSummary, planText?: string, refusal?: string): string {
  const lines = [commentMarker(stack), `### \`${stack}\`: ${planLine(summary)}`, ""];
  // The Elastic IP guard's refusal (scripts/lib/address-guard.ts) comes first: the job fails on it.
  if (refusal) lines.push(":no_entry: **This change is refused.**", "", "```", refusal, "```", "");
  const loud = warnings(summary);
  if (loud.length > 0) lines.push(...loud.flatMap((w) => [w, ""]));
  else lines.push("No resource is replaced or destroyed.", "");
  if (summary.changes.length > 0) {
    lines.push(`<details><summary>${summary.changes.length} resource change(s)</summary>`, "");
    lines.push("| | resource |", "|---|---|");
    for (const c of summary.changes) {
      lines.push(
        `| \`${SYMBOL[c.action]}\` | \`${c.address}\`${c.movedFrom ? ` (moved from \`${c.movedFrom}\`)` : ""} |`,
      );
    }
    lines.push("", "</details>", "");
  }
  if (planText !== undefined) {
    // Cut from the middle: the end holds Terraform's "Plan: ..." line and its warnings.
    const text =
      planText.length > PLAN_TEXT_LIMIT
        ? `${planText.slice(0, PLAN_TEXT_LIMIT - PLAN_TEXT_TAIL)}\n... (${planText.length - PLAN_TEXT_LIMIT} characters cut here; run npm run diff for the whole plan) ...\n${planText.slice(-PLAN_TEXT_TAIL)}`
        : planText;
    lines.push("<details><summary>terraform plan</summary>", "", "```", text.trimEnd(), "```", "</details>", "");
  }
  return lines.join("\n");
}

/** The comment posted when Terraform could not plan at all. */
export function renderFailure(stack: string, step: string, output: string): string {
  const tail = output.trimEnd().split("\n").slice(-40).join("\n");
  return [commentMarker(stack), `### \`${stack}\`: :x: terraform ${step} failed`, "", "```", tail, "```", ""].join(
    "\n",
  );
}

export interface PullRequestComment {
  readonly markdown: string;
  /** Set when the Elastic IP guard refuses the plan: the comment starts with it. */
  readonly refusal?: string;
  /** What `npm run diff -- <env> --summary` exits with: 0, or ADDRESS_LOSS_EXIT. */
  readonly exitCode: 0 | typeof ADDRESS_LOSS_EXIT;
}

/**
 * The comment for one environment's plan, and whether the Elastic IP guard refuses it: a plan
 * that destroys or replaces an `aws_eip` is refused unless the environment sets
 * allowElasticIpDestroy. The comment is complete either way, so the reviewer sees why.
 */
export function pullRequestComment(
  stack: string,
  plan: PlanJson,
  environment: StackEnvironment,
  planText?: string,
): PullRequestComment {
  const summary = summarizePlan(plan);
  const environmentOf = (s: string) => (s === stack ? environment : undefined);
  const refused = refusedLosses(lossesInPlan(stack, summary.changes), environmentOf);
  const refusal = refused.length > 0 ? refusalMessage(refused, environmentOf) : undefined;
  return {
    markdown: renderMarkdown(stack, summary, planText, refusal),
    refusal,
    exitCode: refusal ? ADDRESS_LOSS_EXIT : 0,
  };
}

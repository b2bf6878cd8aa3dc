// Names derived from an environment, in one place: the stack (and so its cdktf.out folder and
// Terraform state file), the project tags every resource carries, the log groups. No cdktf
// here, so the lab, the scripts and the templates' view models can use them cheaply.

/** The cdktf stack of an environment: `sip-proxy-<name>`. */
export function stackNameFor(environment: string): string {
  return `sip-proxy-${environment}`;
}

/** Tags every resource carries; environments may add tags but never set these. */
export const PROJECT_TAG_NAMES = ["Project", "Environment", "ManagedBy"] as const;

/** The values of the project tags for one environment. */
export function projectTags(environment: string): Record<(typeof PROJECT_TAG_NAMES)[number], string> {
  return { Project: "sip-proxy", Environment: environment, ManagedBy: "cdktf" };
}

/**
 * The log group Session Manager writes shell sessions to: one per account and region, made by
 * the account baseline (README "Security", Session Manager logging), never by a stack. The
 * instance roles may write to it.
 */
export const SESSION_MANAGER_LOG_GROUP = "/sip-proxy/session-manager";

/** What every log group name of an environment starts with (the logs key admits only these). */
export function logGroupPrefix(environment: string): string {
  return `/sip-proxy/${environment}/`;
}

/** Where the instances' log files go; the user-data's CloudWatch agent config uses the same names. */
export function logGroupNames(environment: string): { kamailio: string; setup: string; flowLogs: string } {
  return {
    kamailio: `${logGroupPrefix(environment)}kamailio`,
    setup: `${logGroupPrefix(environment)}setup`,
    flowLogs: `${logGroupPrefix(environment)}vpc-flow-logs`,
  };
}

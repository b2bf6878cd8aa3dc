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

/** Where the instances' log files go; the user-data's CloudWatch agent config uses the same names. */
export function logGroupNames(environment: string): { kamailio: string; setup: string } {
  return { kamailio: `/sip-proxy/${environment}/kamailio`, setup: `/sip-proxy/${environment}/setup` };
}

// The plan-time guard on Elastic IPs. Removing a zone from an environment removes that zone's
// Elastic IP from the code, so `prevent_destroy` (which lives on the resource block) is gone
// with it and Terraform destroys the address Twilio dials or the destination whitelists. Both
// `npm run changes` and the PR summary refuse such a change unless the environment's config
// says it is meant (`allowElasticIpDestroy: true`).

/** Exit code of a refused change: not a usage error (2) nor a failure to run (1). */
export const ADDRESS_LOSS_EXIT = 3;

export interface AddressLoss {
  /** The stack, e.g. `sip-proxy-prod`. */
  readonly stack: string;
  /** Terraform address, e.g. `aws_eip.proxy_nlb_us_east_1c`. */
  readonly address: string;
  readonly action: "destroyed" | "replaced";
}

/**
 * Which losses the environments do not allow. `allows(stack)` is the environment's
 * allowElasticIpDestroy, or undefined when no environment makes that stack any more.
 */
export function refusedLosses(
  losses: readonly AddressLoss[],
  allows: (stack: string) => boolean | undefined,
): AddressLoss[] {
  return losses.filter((loss) => allows(loss.stack) !== true);
}

/** The refusal, one line per address, and how to go ahead on purpose. */
export function refusalMessage(
  refused: readonly AddressLoss[],
  allows: (stack: string) => boolean | undefined,
): string {
  const lines = refused.map(
    (loss) =>
      `  - ${loss.stack}: ${loss.address} would be ${loss.action}${allows(loss.stack) === undefined ? " (its environment no longer exists)" : ""}`,
  );
  return [
    `refused: ${refused.length === 1 ? "an Elastic IP" : `${refused.length} Elastic IPs`} would be lost, and the address Twilio dials or the destination whitelists with it:`,
    ...lines,
    'If this is meant (a zone or an environment retired, with Twilio and the destination told), set allowElasticIpDestroy: true in that environment\'s config for this change, then set it back; an environment being removed must be destroyed before its file goes (README "Removing an environment").',
  ].join("\n");
}

/** Elastic IPs a plan destroys or replaces (`summary` from scripts/lib/plan-summary.ts). */
export function lossesInPlan(
  stack: string,
  changes: readonly { readonly address: string; readonly action: string }[],
): AddressLoss[] {
  return changes
    .filter((c) => c.address.startsWith("aws_eip.") && (c.action === "delete" || c.action === "replace"))
    .map((c) => ({ stack, address: c.address, action: c.action === "delete" ? "destroyed" : "replaced" }));
}

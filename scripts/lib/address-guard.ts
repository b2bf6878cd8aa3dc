// The plan-time guard on Elastic IPs. Removing a zone from an environment removes that zone's
// Elastic IPs from the code, so `prevent_destroy` (which lives on the resource block) is gone
// with them and Terraform destroys the addresses Twilio dials or the destination whitelists.
// Terraform's lifecycle documentation: prevent_destroy "does not prevent the remote object from
// being destroyed if the `resource` block were removed from configuration entirely: in that
// case, the `prevent_destroy` setting is removed along with it". Both `npm run changes` and
// the PR summary refuse such a change unless the environment's config says it is meant
// (`allowElasticIpDestroy: true`).

/** Exit code of a refused change: not a usage error (2) nor a failure to run (1). */
export const ADDRESS_LOSS_EXIT = 3;

export interface AddressLoss {
  /** The stack, e.g. `sip-proxy-prod`. */
  readonly stack: string;
  /** Terraform address, e.g. `aws_eip.proxy_nlb_us_east_1c`. */
  readonly address: string;
  readonly action: "destroyed" | "replaced";
}

/** The environment that makes a stack, as far as the guard needs it. */
export interface StackEnvironment {
  /** e.g. `prod` */
  readonly name: string;
  /** Where to set allowElasticIpDestroy, e.g. `config/environments/prod.ts`. */
  readonly file: string;
  readonly allowElasticIpDestroy: boolean;
}

/** The environment of a stack, or undefined when no environment makes that stack any more. */
export type EnvironmentOf = (stack: string) => StackEnvironment | undefined;

/** Which losses the environments do not allow. */
export function refusedLosses(losses: readonly AddressLoss[], environmentOf: EnvironmentOf): AddressLoss[] {
  return losses.filter((loss) => environmentOf(loss.stack)?.allowElasticIpDestroy !== true);
}

/** The refusal: one line per address with its environment, then how to go ahead on purpose. */
export function refusalMessage(refused: readonly AddressLoss[], environmentOf: EnvironmentOf): string {
  const lines = refused.map((loss) => {
    const env = environmentOf(loss.stack);
    const where = env ? `environment ${env.name} (${loss.stack})` : `${loss.stack} (its environment no longer exists)`;
    return `  - ${where}: ${loss.address} would be ${loss.action}`;
  });
  const files = [...new Set(refused.flatMap((loss) => environmentOf(loss.stack)?.file ?? []))];
  const gone = refused.some((loss) => !environmentOf(loss.stack));
  return [
    `refused: ${refused.length === 1 ? "an Elastic IP" : `${refused.length} Elastic IPs`} would be lost, and with ${refused.length === 1 ? "it the address" : "them the addresses"} Twilio dials or the destination whitelists:`,
    ...lines,
    ...(files.length > 0
      ? [
          `If this is meant (a zone retired, with Twilio and the destination told), set allowElasticIpDestroy: true in ${files.join(" and ")} for this change, and set it back after the deploy.`,
        ]
      : []),
    ...(gone
      ? ['An environment being removed must be destroyed before its file goes (README "Removing an environment").']
      : []),
  ].join("\n");
}

/** Elastic IPs a plan destroys or replaces (`changes` of scripts/lib/plan-summary.ts). */
export function lossesInPlan(
  stack: string,
  changes: readonly { readonly address: string; readonly action: string }[],
): AddressLoss[] {
  return changes
    .filter((c) => c.address.startsWith("aws_eip.") && (c.action === "delete" || c.action === "replace"))
    .map((c) => ({ stack, address: c.address, action: c.action === "delete" ? "destroyed" : "replaced" }));
}

/** Elastic IPs a change between two synthesized revisions removes or replaces (scripts/lib/stack-diff.ts). */
export function lossesInChanges(
  stacks: readonly {
    readonly stack: string;
    readonly resources: readonly { readonly address: string; readonly type: string; readonly action: string }[];
  }[],
): AddressLoss[] {
  return stacks.flatMap((s) =>
    s.resources
      .filter((r) => r.type === "aws_eip" && (r.action === "remove" || r.action === "replace"))
      .map((r) => ({
        stack: s.stack,
        address: r.address,
        action: r.action === "remove" ? ("destroyed" as const) : ("replaced" as const),
      })),
  );
}

// npm run pr-role -- <env> [<env> ...] --repository <owner/name> --account <id>
// Prints the trust and permission policies of the IAM role the pull-request workflow assumes
// (README "cdktf diff on every pull request"): planning only, state read for those
// environments' keys, nothing that returns a secret or call data.
import { parseEnvironments } from "../config/schema";
import { runCommand, UsageError, type CommandSpec, type ParsedCommand } from "./lib/cli";
import { prRolePermissionsPolicy, prRoleTrustPolicy } from "./lib/pr-role";

const SPEC: CommandSpec = {
  command: "npm run pr-role",
  summary:
    "Prints the trust policy and the permissions policy of the IAM role the pull-request workflow assumes for the named environments (all when none is named): read-only planning, the state objects of those environments only.",
  environments: "any",
  options: {
    repository: {
      type: "string",
      value: "<owner/name>",
      description: "the GitHub repository whose pull requests may assume it",
    },
    account: {
      type: "string",
      value: "<12 digits>",
      description: "the AWS account holding the role and GitHub's OIDC provider",
    },
  },
  examples: ["npm run pr-role -- prod --repository voice-team/sip-proxy-infra --account 123456789012"],
};

function main({ values, environments }: ParsedCommand): number {
  const configs = parseEnvironments(
    environments.map((e) => e.input),
    environments.map((e) => e.file),
  );
  const repository = values.repository as string | undefined;
  const account = values.account as string | undefined;
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository)) throw new UsageError("give --repository <owner/name>");
  if (!account || !/^\d{12}$/.test(account)) throw new UsageError("give --account <12-digit AWS account id>");
  const unplanned = configs.filter((c) => !c.stateBackend).map((c) => c.name);
  console.log(`# trust policy\n${JSON.stringify(prRoleTrustPolicy(account, repository), null, 2)}`);
  console.log(`\n# permissions policy\n${JSON.stringify(prRolePermissionsPolicy(configs), null, 2)}`);
  if (unplanned.length > 0) {
    console.error(`note: ${unplanned.join(", ")} keep local state; CI cannot plan them against it (README "State")`);
  }
  return 0;
}

runCommand(SPEC, main);

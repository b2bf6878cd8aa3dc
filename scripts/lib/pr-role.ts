// The IAM role the pull-request workflow assumes: what `terraform plan` needs and nothing
// more. Planning reads state (the plan runs with -lock=false, so the lock file is never
// written) and refreshes every resource the stack holds, through the provider's read calls.
// State access follows the S3 backend's documented minimum: "s3:ListBucket on
// arn:aws:s3:::mybucket. At a minimum, this must be able to list the path where the state is
// stored", and s3:GetObject on the state key (Terraform, S3 backend, "S3 Bucket Permissions";
// paraphrased); PutObject and DeleteObject are for applies and locks only. The emulator does
// not evaluate IAM, so nothing here proves the read list is complete: the first PR shows it.
import type { EnvironmentConfig } from "../../config/schema";

/** Read calls the provider makes to refresh the stacks' resource types, per service. */
const REFRESH_ACTIONS = [
  "ec2:Describe*",
  "elasticloadbalancing:Describe*",
  "autoscaling:Describe*",
  "iam:Get*",
  "iam:List*",
  "kms:Describe*",
  "kms:Get*",
  "kms:List*",
  "sns:Get*",
  "sns:List*",
  // Describe and List only: logs:Get* and logs:Filter* would read the SIPLOG lines themselves.
  "logs:Describe*",
  "logs:List*",
  "cloudwatch:Describe*",
  "cloudwatch:Get*",
  "cloudwatch:List*",
  "route53:Get*",
  "route53:List*",
  "sts:GetCallerIdentity",
];

/**
 * Reads that return secrets or call data. None is granted above; denied anyway, so that a
 * broader policy attached to the role later (ReadOnlyAccess, say) cannot add them.
 */
const NEVER = [
  "kms:Decrypt",
  "ssm:GetParameter*",
  "secretsmanager:GetSecretValue",
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
  "logs:StartQuery",
];

/** Trust: GitHub's OIDC tokens for this repository's pull requests only. */
export function prRoleTrustPolicy(accountId: string, repository: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${accountId}:oidc-provider/token.actions.githubusercontent.com` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": `repo:${repository}:pull_request`,
          },
        },
      },
    ],
  };
}

/** Permissions for planning the given environments (those with S3 state). */
export function prRolePermissionsPolicy(configs: readonly EnvironmentConfig[]): object {
  const states = configs.flatMap((c) => (c.stateBackend ? [c.stateBackend] : []));
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "RefreshResources", Effect: "Allow", Action: REFRESH_ACTIONS, Resource: "*" },
      ...states.map((s, i) => ({
        Sid: `ListStateKey${i}`,
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:aws:s3:::${s.bucket}`,
        Condition: { StringEquals: { "s3:prefix": s.key } },
      })),
      ...(states.length > 0
        ? [
            {
              Sid: "ReadState",
              Effect: "Allow",
              Action: "s3:GetObject",
              Resource: states.map((s) => `arn:aws:s3:::${s.bucket}/${s.key}`),
            },
          ]
        : []),
      { Sid: "NeverSecretsOrCallData", Effect: "Deny", Action: NEVER, Resource: "*" },
    ],
  };
}

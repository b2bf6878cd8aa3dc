// The IAM role the pull-request workflow assumes: what `terraform init` and `terraform plan`
// need and nothing more. No write at all: S3 state and the read calls of the refresh.
//
// State, after Terraform's S3 backend documentation ("Permissions Required", "S3 Bucket
// Permissions"), whose example policy limits the listing with `"s3:prefix": "path/to/my/key"`:
//   "`s3:ListBucket` on `arn:aws:s3:::mybucket`. At a minimum, this must be able to list the
//    path where the state is stored."
//   "`s3:GetObject` on `arn:aws:s3:::mybucket/path/to/my/key`"
// s3:PutObject on the state is for applies. The lock file needs writes only to take a lock:
//   "If `use_lockfile` is set, `s3:GetObject`, `s3:PutObject`, and `s3:DeleteObject` are
//    required on the lock file, e.g., `arn:aws:s3:::mybucket/path/to/my/key.tflock`."
// The workflow's plan never takes one: scripts/diff.ts plans with -lock=false (a speculative
// plan must not block a deploy), and init locks only its local .terraform folder. Terraform
// 1.11.4's source agrees (internal/backend/remote-state/s3: the .tflock object is read or
// written only by Lock and Unlock), so the role has no lock-file permission, i.e. no write.
// Init also lists `env:/` for other workspaces; the prefix condition denies that, which the
// backend treats as "only the default workspace" (backend_state.go, Workspaces: AccessDenied
// with the default workspace_key_prefix is logged and ignored). Do not widen the listing for it.
//
// Refresh: describe/get/list per service the stacks use, not the managed ReadOnlyAccess:
// that policy also grants s3:Get* on every bucket (every environment's state, which holds the
// pager endpoint) and ssm:GetParameter*. The explicit deny below holds even if someone attaches
// it later. The emulator does not evaluate IAM, so nothing here proves the read list is
// complete: the first pull request's plan shows it.
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

// Policy statements more than one construct writes, each in one place.

/**
 * Writing into existing log groups, and nothing else of CloudWatch Logs: create a stream,
 * put events, and list streams (the CloudWatch agent and flow log delivery both look theirs
 * up). Streams are named by the writer (instance ids, network interfaces), so each group's
 * streams are matched by `:log-stream:*`.
 */
export function logGroupWriter(groupArns: readonly string[]): object {
  return {
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
    Resource: groupArns.flatMap((arn) => [arn, `${arn}:log-stream:*`]),
  };
}

/**
 * The statement of AWS's default key policy: the account's IAM policies decide who may use
 * and manage the key ("Allows access to the AWS account and enables IAM policies", KMS
 * developer guide, default key policy).
 */
export function accountAdministersKey(accountId: string): object {
  return {
    Sid: "AccountAdministers",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${accountId}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}

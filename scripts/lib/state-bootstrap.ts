// The S3 bucket that holds an environment's Terraform state, as a small Terraform config of its
// own (the stack cannot create the bucket its backend needs before init). Versioning keeps
// every earlier state; default encryption; every public access blocked; a policy that denies
// any request not made over TLS (AWS's documented pattern: Deny when "aws:SecureTransport" is
// "false").
import type { EnvironmentConfig } from "../../config/schema";

export function stateBucketConfig(cfg: EnvironmentConfig, providerVersion: string): object {
  if (!cfg.stateBackend) throw new Error(`${cfg.name} has no stateBackend: its state is a local file`);
  const bucket = cfg.stateBackend.bucket;
  const ref = "${aws_s3_bucket.state.id}";
  return {
    terraform: { required_providers: { aws: { source: "hashicorp/aws", version: providerVersion } } },
    provider: { aws: [{ region: cfg.stateBackend.region }] },
    resource: {
      aws_s3_bucket: {
        // The state of every deploy lives here: never destroyed by Terraform.
        state: {
          bucket,
          lifecycle: { prevent_destroy: true },
          tags: { Project: "sip-proxy", ManagedBy: "bootstrap-state" },
        },
      },
      aws_s3_bucket_versioning: {
        state: { bucket: ref, versioning_configuration: [{ status: "Enabled" }] },
      },
      aws_s3_bucket_server_side_encryption_configuration: {
        state: { bucket: ref, rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: "AES256" }] }] },
      },
      aws_s3_bucket_public_access_block: {
        state: {
          bucket: ref,
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        },
      },
      aws_s3_bucket_policy: {
        state: {
          bucket: ref,
          depends_on: ["aws_s3_bucket_public_access_block.state"],
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
              },
            ],
          }),
        },
      },
    },
  };
}

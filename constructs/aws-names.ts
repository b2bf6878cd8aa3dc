// AWS's length limits on the names this project builds, checked where a name is built, so a
// long environment name fails at synth with the construct's path instead of half-way through
// a deploy.
import type { IConstruct } from "constructs";
import { ConstructError } from "./construct-error";

/**
 * Limits from the AWS API references: CreateLoadBalancer and CreateTargetGroup "Name: ...
 * maximum of 32 characters"; the provider's aws_lb_target_group "name_prefix ... Cannot be
 * longer than 6 characters"; CreateRole "RoleName ... Maximum length of 64";
 * CreateInstanceProfile 128; CreateLaunchTemplate 128; CreateAutoScalingGroup 255.
 */
export const AWS_NAME_LIMITS = {
  loadBalancer: 32,
  targetGroup: 32,
  targetGroupPrefix: 6,
  iamRole: 64,
  instanceProfile: 128,
  launchTemplate: 128,
  autoScalingGroup: 255,
} as const;

/** Returns `name`, or throws a ConstructError when it exceeds AWS's limit for `kind`. */
export function awsName(scope: IConstruct, kind: keyof typeof AWS_NAME_LIMITS, name: string): string {
  const limit = AWS_NAME_LIMITS[kind];
  if (name.length > limit) {
    throw new ConstructError(
      scope,
      `${kind} name "${name}" has ${name.length} characters; AWS allows at most ${limit}. Use a shorter environment name`,
    );
  }
  return name;
}

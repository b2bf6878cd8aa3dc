// What a second plan after a rehearsed apply may show because of moto, not because of the
// stacks. Each entry names the resource and attribute, the value moto reported and the value
// the configuration plans, and the moto source (python3-moto 5.2.4, paths under
// /usr/lib/python3/dist-packages/moto/) that explains it. Anything else in a second plan fails
// the rehearsal. When moto's version changes, re-check every entry (the rehearsal prints the
// version and says when it changed).
import { UNKNOWN, type EmulatorArtefact } from "./rehearsal";

const is = (expected: unknown) => (value: unknown) => JSON.stringify(value) === JSON.stringify(expected);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const allNull = (v: unknown) => isObject(v) && Object.values(v).every((x) => x === null);

export const EMULATOR_ARTEFACTS: readonly EmulatorArtefact[] = [
  {
    address: /^aws_launch_template\.proxy_template$/,
    path: /^tag_specifications\[\d+\]$/,
    before: (v) => isObject(v) && v.resource_type === "launch-template",
    after: is(null),
    citation:
      "moto ec2/responses/launch_templates.py create_launch_template: `parsed_template_data[\"TagSpecifications\"].extend(converted_tag_spec)` copies the request's own tags (resource type launch-template, the provider's default tags) into the version's LaunchTemplateData; EC2's API reference keeps them apart (CreateLaunchTemplate TagSpecification: \"The tags to apply to the launch template on creation\")",
  },
  {
    address: /^aws_autoscaling_lifecycle_hook\.proxy_drain$/,
    path: /^role_arn$/,
    before: is("arn:aws:iam::1234567890:role/my-auto-scaling-role"),
    after: is(null),
    citation:
      'moto autoscaling/models.py LifecycleHook.__init__: `self.role_arn = "arn:aws:iam::1234567890:role/my-auto-scaling-role"` ("TODO: These were hardcoded in the original XML template"); the hook sets no role (AWS: RoleARN is needed only to publish to a notification target)',
  },
  {
    address: /^aws_autoscaling_lifecycle_hook\.proxy_drain$/,
    path: /^notification_target_arn$/,
    before: is("arn:aws:sqs:us-east-1:123456789012:my-queue"),
    after: is(null),
    citation:
      'moto autoscaling/models.py LifecycleHook.__init__: `self.notification_target_arn = "arn:aws:sqs:us-east-1:123456789012:my-queue"`, hard-coded the same way; the hook sets no notification target (the instance completes it itself)',
  },
  {
    address: /^aws_autoscaling_group\.proxy$/,
    path: /^capacity_reservation_specification\[0\]\.capacity_reservation_preference$/,
    before: is(null),
    after: is(""),
    citation:
      'moto autoscaling/ has no CapacityReservationSpecification at all (grep finds none), so DescribeAutoScalingGroups omits it; AWS returns the group\'s preference ("default" unless set)',
  },
  {
    address: /^aws_lb\.proxy_nlb$/,
    path: /^subnet_mapping\[\d+\]\.allocation_id$/,
    before: is(""),
    after: (v) => typeof v === "string" && v.startsWith("eipalloc-"),
    citation:
      "moto elbv2/models.py never stores an AllocationId (grep finds none): DescribeLoadBalancers returns the zones without LoadBalancerAddresses, so the NLB's Elastic IP allocation reads empty",
  },
  {
    address: /^aws_lb\.proxy_nlb$/,
    path: /^subnet_mapping\[\d+\]\.outpost_id$/,
    before: is(""),
    after: is(UNKNOWN),
    citation:
      "subnet_mapping is a set: the element whose allocation_id moto left empty (above) is planned as a new element, whose computed outpost_id Terraform cannot know",
  },
  {
    address: /^aws_lb\.proxy_nlb$/,
    path: /^subnet_mapping\[\d+\]$/,
    before: is(null),
    after: allNull,
    citation:
      "Terraform's JSON plan shows a set element that holds unknown values as an extra all-null placeholder; it follows from the allocation_id entry above",
  },
];

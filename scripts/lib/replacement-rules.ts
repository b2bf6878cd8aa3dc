// What Terraform does to the resource types of this project when their configuration changes.
// `terraform providers schema -json` does not say which arguments are ForceNew, so this is a
// hand-kept table, read from the hashicorp/aws 5.x resource documentation ("changing this
// forces a new resource"). It covers every type the stacks create (a test synthesizes them and
// fails on a type missing here, since a missing type would be reported as changing in
// place); `npm run diff` (a real plan) is the final word. An empty list means "every
// argument updates in place".

/** Arguments whose change makes Terraform destroy and re-create the resource. */
export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  aws_eip: ["address", "domain", "network_border_group", "public_ipv4_pool", "ipam_pool_id", "vpc"],
  aws_eip_association: ["allocation_id", "instance_id", "network_interface_id", "private_ip_address", "public_ip"],
  // security_groups: "For load balancers of type network security groups cannot be added if
  // none are currently present, and cannot all be removed once added. If either of these
  // conditions are met, this will force a recreation of the resource" (aws_lb docs). A swap
  // between two non-empty lists is in place; the table cannot tell, so it over-reports that.
  aws_lb: [
    "name",
    "name_prefix",
    "internal",
    "load_balancer_type",
    "subnet_mapping",
    "customer_owned_ipv4_pool",
    "security_groups",
  ],
  aws_lb_target_group: ["name", "name_prefix", "port", "protocol", "target_type", "vpc_id", "ip_address_type"],
  aws_lb_listener: ["load_balancer_arn"],
  aws_nat_gateway: ["allocation_id", "subnet_id", "connectivity_type", "private_ip"],
  aws_instance: [
    "ami",
    "availability_zone",
    "subnet_id",
    "launch_template",
    "private_ip",
    "key_name",
    "associate_public_ip_address",
    "placement_group",
    "tenancy",
  ],
  aws_launch_template: ["name", "name_prefix"],
  aws_autoscaling_group: ["name", "name_prefix"],
  aws_autoscaling_lifecycle_hook: ["name", "autoscaling_group_name"],
  aws_vpc: ["cidr_block", "ipv4_ipam_pool_id"],
  aws_subnet: ["vpc_id", "cidr_block", "availability_zone", "availability_zone_id", "outpost_arn"],
  aws_route_table: ["vpc_id"],
  aws_route: ["route_table_id", "destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id"],
  aws_route_table_association: ["subnet_id", "gateway_id"],
  aws_security_group: ["name", "name_prefix", "description", "vpc_id"],
  aws_iam_role: ["name", "name_prefix", "path"],
  aws_iam_instance_profile: ["name", "name_prefix", "path"],
  aws_iam_role_policy_attachment: ["role", "policy_arn"],
  aws_route53_record: ["zone_id", "name", "set_identifier"],
  aws_iam_role_policy: ["name", "name_prefix", "role"],
  aws_internet_gateway: [],
  aws_kms_key: ["customer_master_key_spec", "key_usage", "multi_region", "custom_key_store_id", "xks_key_id"],
  aws_sns_topic: ["name", "name_prefix", "fifo_topic"],
  aws_sns_topic_policy: ["arn"],
  aws_default_security_group: ["vpc_id"],
  aws_default_network_acl: ["default_network_acl_id"],
  aws_flow_log: [
    "vpc_id",
    "subnet_id",
    "eni_id",
    "traffic_type",
    "log_destination",
    "log_destination_type",
    "log_format",
    "iam_role_arn",
    "max_aggregation_interval",
    "destination_options",
  ],
  aws_sns_topic_subscription: ["topic_arn", "protocol", "endpoint"],
  aws_cloudwatch_log_group: ["name", "name_prefix"],
  aws_cloudwatch_log_metric_filter: ["name", "log_group_name"],
  aws_cloudwatch_metric_alarm: ["alarm_name"],
  aws_cloudwatch_dashboard: ["dashboard_name"],
};

/**
 * Resources whose loss an operator cannot undo with another deploy: a new one comes back
 * with a different public address, which Twilio (TwiML) or the destination (IP ACL) still
 * holds. Every replacement or removal of these is shouted about.
 */
export const ADDRESSABLE: Readonly<Record<string, string>> = {
  aws_eip:
    "its public IP is released for good; any new Elastic IP has another address, so TwiML and the destination's IP ACL must change",
  aws_lb: "a new NLB gets a new DNS name and drops every SIP flow in progress",
  aws_nat_gateway: "egress moves to another address until the new gateway is up; calls fail meanwhile",
};

/**
 * Computed attributes that change on every in-place update: referencing them carries the
 * update on. A launch template edit makes a new `latest_version`, which the instance or
 * group then picks up.
 */
export const CHANGES_ON_UPDATE: Readonly<Record<string, readonly string[]>> = {
  aws_launch_template: ["latest_version"],
};

/** What an in-place change of one argument sets off that the address list does not show. */
export const SIDE_EFFECTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  aws_autoscaling_group: { launch_template: "starts a rolling instance refresh" },
};

/** True when changing `path` (e.g. `launch_template.version`) replaces a resource of `type`. */
export function forcesNew(type: string, path: string): boolean {
  return (FORCE_NEW[type] ?? []).some(
    (arg) => path === arg || path.startsWith(`${arg}.`) || path.startsWith(`${arg}[`),
  );
}

export function sideEffectOf(type: string, path: string): string | undefined {
  const effects = SIDE_EFFECTS[type] ?? {};
  const arg = Object.keys(effects).find((a) => path === a || path.startsWith(`${a}.`) || path.startsWith(`${a}[`));
  return arg ? effects[arg] : undefined;
}

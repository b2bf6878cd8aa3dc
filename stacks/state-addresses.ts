// The reviewed Terraform state addresses of every shipped environment: one list, read by the
// unit tests (a rename shows up in review) and by the deploy rehearsal (`npm run rehearse`
// checks that the state an apply leaves holds exactly these). A renamed construct id changes
// an address, and Terraform then destroys and recreates that resource (for an Elastic IP: a
// new public address that Twilio does not know). Edit only on purpose.

/** Monitoring resources every stack has. */
export const MONITORING_ADDRESSES = [
  "aws_cloudwatch_dashboard.monitoring_dashboard",
  "aws_cloudwatch_log_group.monitoring_kamailio_logs",
  "aws_cloudwatch_log_group.monitoring_setup_logs",
  "aws_cloudwatch_log_group.monitoring_flow_logs",
  "aws_cloudwatch_log_metric_filter.flow_logs_metric_RejectedSipPackets",
  "aws_cloudwatch_log_metric_filter.flow_logs_metric_RejectedTwilioSipPackets",
  "aws_cloudwatch_metric_alarm.monitoring_twilio_sip_rejected",
  "aws_default_network_acl.vpc_default_nacl",
  "aws_flow_log.flow_logs",
  "aws_iam_role.flow_logs_role",
  "aws_iam_role_policy.flow_logs_deliver",
  "aws_kms_key.monitoring_logs_key",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_ActiveTransactions",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_AnsweredInvites",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_DestinationFailovers",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_NewInvites",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_RejectedAccounts403",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_RejectedAuth403",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_RejectedSources403",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_Replies2xx",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_Replies4xx",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_Replies5xx",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_SourcesBanned",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_SharedMemoryUsedPercent",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_Timeouts408",
  "aws_cloudwatch_metric_alarm.monitoring_answer_rate",
  "aws_cloudwatch_metric_alarm.monitoring_cpu_high",
  "aws_cloudwatch_metric_alarm.monitoring_destination_timeouts",
  "aws_cloudwatch_metric_alarm.monitoring_shared_memory_high",
  "aws_cloudwatch_metric_alarm.monitoring_sources_banned",
  "aws_kms_key.monitoring_topics_key",
  "aws_sns_topic.monitoring_alerts",
  "aws_sns_topic.monitoring_critical",
  "aws_sns_topic_policy.monitoring_alerts_policy",
  "aws_sns_topic_policy.monitoring_critical_policy",
  "aws_sns_topic_subscription.monitoring_critical_https",
];

/** The single-instance stack (dev). */
export const SINGLE_INSTANCE_ADDRESSES = [
  ...MONITORING_ADDRESSES,
  "aws_cloudwatch_metric_alarm.monitoring_instance_status",
  "aws_cloudwatch_metric_alarm.monitoring_system_status",
  "aws_eip.proxy_ingress",
  "aws_eip_association.proxy_ingress_association",
  "aws_iam_instance_profile.proxy_template_profile",
  "aws_iam_role.proxy_template_role",
  "aws_iam_role_policy.proxy_template_role_ship_logs",
  "aws_iam_role_policy.proxy_template_role_tag_self",
  "aws_iam_role_policy_attachment.proxy_template_role_ssm",
  "aws_instance.proxy",
  "aws_default_security_group.vpc_default_sg",
  "aws_internet_gateway.vpc_igw",
  "aws_launch_template.proxy_template",
  "aws_route.vpc_public_internet",
  "aws_route_table.vpc_public",
  "aws_route_table_association.vpc_public_us_east_1a_routes",
  "aws_security_group.proxy_sg",
  "aws_subnet.vpc_public_us_east_1a",
  "aws_vpc.vpc",
].sort();

/** Resources a load-balanced stack has once, whatever its zones. */
const LOAD_BALANCED_ONCE = [
  ...MONITORING_ADDRESSES,
  "aws_cloudwatch_metric_alarm.monitoring_healthy_below_minimum",
  "aws_cloudwatch_metric_alarm.monitoring_near_max_capacity",
  "aws_cloudwatch_metric_alarm.monitoring_no_healthy_targets",
  "aws_cloudwatch_metric_alarm.monitoring_unhealthy_targets",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_DrainsCompleted",
  "aws_cloudwatch_log_metric_filter.monitoring_metric_DrainsStarted",
  "aws_autoscaling_group.proxy",
  "aws_autoscaling_lifecycle_hook.proxy_drain",
  "aws_iam_instance_profile.proxy_template_profile",
  "aws_iam_role.proxy_template_role",
  "aws_iam_role_policy.proxy_complete_drain",
  "aws_iam_role_policy.proxy_template_role_ship_logs",
  "aws_iam_role_policy.proxy_template_role_tag_self",
  "aws_iam_role_policy_attachment.proxy_template_role_ssm",
  "aws_default_security_group.vpc_default_sg",
  "aws_internet_gateway.vpc_igw",
  "aws_launch_template.proxy_template",
  "aws_lb.proxy_nlb",
  "aws_lb_listener.proxy_sip",
  "aws_lb_target_group.proxy_targets",
  "aws_route.vpc_public_internet",
  "aws_route_table.vpc_public",
  "aws_security_group.proxy_nlb_sg",
  "aws_security_group.proxy_sg",
  "aws_vpc.vpc",
];

/** Resources a load-balanced stack has per zone (`z` as in `us_east_1a`), NAT gateway per zone. */
const perZone = (z: string) => [
  `aws_eip.proxy_nlb_${z}`,
  `aws_eip.vpc_nat_${z}`,
  `aws_nat_gateway.vpc_nat_${z}_gateway`,
  `aws_route.vpc_private_${z}_egress`,
  `aws_route_table.vpc_private_${z}_table`,
  `aws_route_table_association.vpc_private_${z}_routes`,
  `aws_route_table_association.vpc_public_${z}_routes`,
  `aws_subnet.vpc_private_${z}`,
  `aws_subnet.vpc_public_${z}`,
];

/**
 * The ingress name of a multi-zone load-balanced stack (config/schema.ts requires it): the
 * hosted zone's lookup by name (a data source, kept in state) and the A record of every NLB
 * Elastic IP. The record's address predates the lookup; it must stay `aws_route53_record.dns`.
 */
const INGRESS_DNS = ["aws_route53_record.dns", "data.aws_route53_zone.dns_zone"];

/** Reviewed addresses of each shipped environment (data sources as `data.<type>.<name>`), sorted. */
export const REVIEWED_ADDRESSES: Readonly<Record<string, readonly string[]>> = {
  dev: SINGLE_INSTANCE_ADDRESSES,
  staging: [...LOAD_BALANCED_ONCE, ...perZone("us_east_1a")].sort(),
  prod: [...LOAD_BALANCED_ONCE, ...INGRESS_DNS, ...["us_east_1a", "us_east_1b", "us_east_1c"].flatMap(perZone)].sort(),
};

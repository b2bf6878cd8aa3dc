/**
 * One CloudWatch metric, named by the construct that owns what it measures (aws-cdk's
 * `metricHealthyHostCount()` style), so that an alarm and a dashboard line on the same metric
 * cannot disagree on its dimensions.
 */
export interface Metric {
  readonly namespace: string;
  readonly metricName: string;
  /**
   * In the order the dashboard lists them.
   * @default none — the metric has no dimensions (the stack's own log-derived metrics)
   */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** The fields of an aws_cloudwatch_metric_alarm that name the metric it watches. */
export function alarmMetric(metric: Metric): {
  namespace: string;
  metricName: string;
  dimensions?: Record<string, string>;
} {
  const { namespace, metricName, dimensions } = metric;
  // An empty map would add `dimensions: {}` to an alarm that had none.
  return dimensions && Object.keys(dimensions).length > 0
    ? { namespace, metricName, dimensions: { ...dimensions } }
    : { namespace, metricName };
}

/**
 * A line of a dashboard metric widget: `[namespace, name, dimension, value, ..., options]`
 * ("metrics" in the CloudWatch dashboard body structure).
 */
export function dashboardLine(metric: Metric, options?: Readonly<Record<string, string>>): unknown[] {
  return [
    metric.namespace,
    metric.metricName,
    ...Object.entries(metric.dimensions ?? {}).flat(),
    ...(options ? [options] : []),
  ];
}

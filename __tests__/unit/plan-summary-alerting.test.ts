// The pull-request summary shouts about lost alerting as it does about a lost Elastic IP.
import { renderMarkdown, summarizePlan, warnings, type PlanJson } from "../../scripts/lib/plan-summary";

const change = (address: string, actions: string[]) => ({
  address,
  type: address.split(".")[0],
  change: { actions },
});

describe("plan summary and alerting resources", () => {
  const plan = {
    resource_changes: [
      change("aws_launch_template.proxy_template", ["update"]),
      change("aws_instance.proxy", ["delete", "create"]),
      change("aws_sns_topic_subscription.monitoring_critical_https", ["delete"]),
      change("aws_eip.proxy_ingress", ["delete"]),
      change("aws_cloudwatch_metric_alarm.monitoring_destination_timeouts", ["delete"]),
    ],
  };

  it("flags the destroy of a pager subscription or an alarm as loudly as a lost Elastic IP", () => {
    const loud = warnings(summarizePlan(plan));
    expect(loud.slice(0, 3)).toEqual([
      expect.stringMatching(
        /^:rotating_light: \*\*`aws_sns_topic_subscription.monitoring_critical_https` will be DESTROYED\*\*: ALERTING: /,
      ),
      expect.stringMatching(
        /^:rotating_light: \*\*`aws_eip.proxy_ingress` will be DESTROYED\*\*: its public IP is released/,
      ),
      expect.stringMatching(
        /^:rotating_light: \*\*`aws_cloudwatch_metric_alarm.monitoring_destination_timeouts` will be DESTROYED\*\*: ALERTING: this alarm no longer fires/,
      ),
    ]);
    // An ordinary replacement is listed, after them, without a cost line.
    expect(loud[3]).toBe(":rotating_light: **`aws_instance.proxy` will be REPLACED**");
    expect(renderMarkdown("sip-proxy-dev", summarizePlan(plan))).toContain("TF_VAR_critical_alerts_https_endpoint");
  });

  it("says nothing extra when alerting is only created or updated", () => {
    const calm = summarizePlan({
      resource_changes: [change("aws_sns_topic_subscription.monitoring_critical_https", ["create"])],
    });
    expect(calm.changes[0].danger).toBeUndefined();
  });
});

describe("the plan text in the pull-request comment", () => {
  it("keeps Terraform's closing lines when a long plan is cut, and stays under GitHub's 65,536 characters", () => {
    const empty = summarizePlan({ resource_changes: [] } as unknown as PlanJson);
    const planText = `${"  + resource line\n".repeat(6000)}\nPlan: 52 to add, 0 to change, 0 to destroy.\n`;
    const markdown = renderMarkdown("sip-proxy-dev", empty, planText);
    expect(markdown).toMatch(/^Plan: 52 to add, 0 to change, 0 to destroy\.$/m);
    expect(markdown).toContain("characters cut here; run npm run diff for the whole plan");
    expect(markdown.length).toBeLessThan(65536);
  });
});

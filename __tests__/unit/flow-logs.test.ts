// The flow-log metric filters, checked against flow log records written in AWS's default
// format. Nothing here can run CloudWatch Logs, so `matches` below is a model of the two
// features the patterns use, as documented ("Filter pattern syntax for metric filters ..."):
// a space-delimited pattern names each field of the event in order, and `field=%regex%` or
// `field="text"` must hold for that field. The regular expressions are run by JavaScript,
// whose syntax for `^ $ [ ] | \ .` is the same as CloudWatch's.
import { TWILIO_SIGNALING_CIDRS } from "../../config/twilio";
import { addressPatterns, FLOW_LOG_FIELDS, rejectedPattern } from "../../constructs/flow-logs";
import { environments } from "../../config/environments";
import { resourcesOf, synthEnvironment } from "../helpers";

function matches(pattern: string, event: string): boolean {
  const fields = /^\[(.*)\]$/.exec(pattern)![1].split(", ");
  const values = event.split(" ");
  if (values.length !== fields.length) return false;
  return fields.every((field, i) => {
    const [, condition] = field.split("=", 2) as [string, string | undefined];
    if (condition === undefined) return true;
    const rest = field.slice(field.indexOf("=") + 1);
    if (rest.startsWith("%")) return new RegExp(rest.slice(1, -1)).test(values[i]);
    return JSON.parse(rest) === values[i];
  });
}

/** A record in the default format (version 2), as the VPC user guide's examples write them. */
const record = (source: string, port: number, action = "REJECT", protocol = 17) =>
  `2 123456789010 eni-1235b8ca123456789 ${source} 10.30.1.20 5060 ${port} ${protocol} 1 900 1418530010 1418530070 ${action} OK`;

describe("flow log metric filters", () => {
  const twilio = rejectedPattern([5060, 5061], TWILIO_SIGNALING_CIDRS);

  it("count a rejected SIP packet from every address of every Twilio edge, and from no neighbour", () => {
    for (const cidr of TWILIO_SIGNALING_CIDRS) {
      const [a, b, c, d] = cidr.split("/")[0].split(".").map(Number);
      for (let host = 0; host < 4; host++) {
        expect(matches(twilio, record(`${a}.${b}.${c}.${d + host}`, 5060))).toBe(true);
      }
      expect(matches(twilio, record(`${a}.${b}.${c}.${d + 4}`, 5060))).toBe(false);
      if (d > 0) expect(matches(twilio, record(`${a}.${b}.${c}.${d - 1}`, 5060))).toBe(false);
      // A longer address that starts the same is another address.
      expect(matches(twilio, record(`${a}.${b}.${c}.${d}1`, 5060))).toBe(false);
    }
  });

  it("count only rejected packets to the SIP ports", () => {
    expect(matches(twilio, record("54.172.60.1", 5061, "REJECT", 6))).toBe(true);
    expect(matches(twilio, record("54.172.60.1", 5060, "ACCEPT"))).toBe(false);
    expect(matches(twilio, record("54.172.60.1", 22, "REJECT", 6))).toBe(false);
    expect(matches(twilio, record("54.172.60.1", 50600))).toBe(false);
    const any = rejectedPattern([5060]);
    expect(matches(any, record("198.51.100.9", 5060))).toBe(true);
    expect(matches(any, record("198.51.100.9", 5061))).toBe(false);
  });

  it("name every field of the default record format, and stay under CloudWatch's 1,024 characters", () => {
    expect(record("54.172.60.1", 5060).split(" ")).toHaveLength(FLOW_LOG_FIELDS.length);
    expect(twilio.length).toBeLessThan(1024);
  });

  it("write ranges of /24 to /32 exactly, and refuse wider ones", () => {
    expect(addressPatterns("35.156.191.128/30")).toEqual(["35\\.156\\.191\\.12[8-9]", "35\\.156\\.191\\.13[0-1]"]);
    expect(addressPatterns("54.172.60.0/30")).toEqual(["54\\.172\\.60\\.[0-3]"]);
    const all = new RegExp(
      addressPatterns("192.0.2.0/24")
        .map((p) => `^${p}$`)
        .join("|"),
    );
    for (let host = 0; host < 256; host++) expect(all.test(`192.0.2.${host}`)).toBe(true);
    expect(all.test("192.0.3.1")).toBe(false);
    expect(() => addressPatterns("10.0.0.0/16")).toThrow(/only \/24 to \/32/);
  });

  it("are deployed on the flow log group of every environment, with the alarm on the Twilio one", () => {
    for (const input of environments) {
      const { json } = synthEnvironment(input);
      const filters = Object.values(resourcesOf(json, "aws_cloudwatch_log_metric_filter")).filter(
        (f) => f.log_group_name === "${aws_cloudwatch_log_group.monitoring_flow_logs.name}",
      );
      expect(filters.map((f) => (f.metric_transformation as { name: string }).name).sort()).toEqual([
        "RejectedSipPackets",
        "RejectedTwilioSipPackets",
      ]);
      const flowLog = Object.values(resourcesOf(json, "aws_flow_log"))[0];
      expect([flowLog.traffic_type, flowLog.log_destination]).toEqual([
        "REJECT",
        "${aws_cloudwatch_log_group.monitoring_flow_logs.arn}",
      ]);
      expect(resourcesOf(json, "aws_cloudwatch_metric_alarm").monitoring_twilio_sip_rejected.metric_name).toBe(
        "RejectedTwilioSipPackets",
      );
    }
  });
});

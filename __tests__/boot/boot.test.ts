// The first-boot script, run for real: the rendered user-data, as root, in a copy of Debian 13's
// EC2 image root, against IMDSv2, a Debian mirror and AWS endpoints inside a network namespace
// (lab/boot). The systemctl, sleep and AWS endpoint stand-ins are hand-written because nothing
// real can run here; Kamailio, apt, dpkg, curl and bash are Debian 13's own.
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { bootProblems, failedLoudly, type ExpectedNode } from "../../lab/boot/checks";
import { AWS_URLS, BOOT_INSTANCE, bootUserData, type BootFaults, type BootResult } from "../../lab/boot/harness";
import { nodeSettingsFor } from "../../config/node-settings";
import { sourceAuthInclude } from "../../lab/source-auth";
import { NODE_STAT_METRICS, NODE_STAT_PATTERN } from "../../constructs/monitoring";
import { matchSpaceDelimited, metricValue } from "../../lab/metric-filter-model";
import { CONTROL_SOCKET, OPERATOR_PACKAGES, renderNodeUserData } from "../../templates/render";
import { requireTool } from "../tools/require-tool";

jest.setTimeout(240000);

const cfg = parseEnvironment(environments.find((e) => e.name === "dev"));
const node = nodeSettingsFor(cfg);
const userData = renderNodeUserData(node, "203.0.113.10");
const expected: ExpectedNode = {
  privateIp: BOOT_INSTANCE.privateIp,
  sipPort: node.sipPort,
  sharedMemoryMb: node.sharedMemoryMb,
  privateMemoryMb: node.privateMemoryMb,
};

const boot = (faults: BootFaults = {}, script = userData) => bootUserData(script, faults);

/** Puts a fixed defect back into the script: a test that the boot test sees it. */
function withDefect(from: string | RegExp, to: string): string {
  const broken = userData.replace(from, to);
  if (broken === userData) throw new Error(`the defect's anchor ${String(from)} is not in the user-data any more`);
  return broken;
}

beforeAll(() => {
  for (const tool of ["ip", "unshare", "openssl", "dpkg-deb"]) requireTool(tool);
});

describe("a first boot on Debian 13", () => {
  let clean: BootResult;
  beforeAll(async () => {
    clean = await boot();
  });

  it("starts Kamailio with the sized -m/-M, the instance's private address, listening on UDP and TCP", () => {
    expect(bootProblems(clean, expected)).toEqual([]);
    expect(clean.console).toMatch(/sip-proxy-setup: setup complete: Kamailio 6\.0\.\d+ from ami-/);
  });

  it("installs the SSM agent from AWS's Debian package before anything that can fail", () => {
    expect(clean.systemctlCalls.slice(0, 2)).toEqual([
      "rc=0 systemctl enable amazon-ssm-agent",
      "rc=0 systemctl restart amazon-ssm-agent",
    ]);
  });

  it("logs Kamailio through journald, unthrottled, into the file the CloudWatch agent tails; no syslog daemon", () => {
    expect(clean.systemctlCalls.filter((c) => /rsyslog/.test(c))).toEqual([]);
    expect(clean.file("etc/kamailio/kamailio.cfg")).toMatch(/^log_stderror=no$/m);
    expect(clean.file("var/log/kamailio.log")).toMatch(/ kamailio\[\d+\]: INFO: <core> .*udp_server/);
    expect(clean.file("etc/logrotate.d/kamailio-sip-proxy")).toMatch(/copytruncate/);
  });

  it("raises the socket buffer limits it needs", () => {
    expect(clean.rmemMax).toBe(16777216);
  });

  it("ships logs with the CloudWatch agent's Debian package", () => {
    const fetched = clean.requests.filter((r) => r.service === "aws").map((r) => `https://${r.host}${r.url}`);
    expect(fetched).toContain(AWS_URLS.cloudwatchAgent);
    expect(clean.file("var/log/amazon-cloudwatch-agent-ctl.calls")).toMatch(/-a fetch-config -m ec2 -s -c file:/);
    expect(clean.file("opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json")).toContain(
      '"file_path": "/var/log/kamailio.log"',
    );
  });

  it("gives Kamailio's RPC one unix socket, root's, read and write for group kamailio only, and no network listener", () => {
    expect(clean.runtime(CONTROL_SOCKET)).toEqual({ owner: "root", group: "kamailio", mode: 0o660, type: "socket" });
    // Everything that listens at the instance's address is SIP; the rest are the test's stand-ins.
    const instance = clean.sockets
      .split("\n")
      .filter(
        (line) =>
          line.includes(`${BOOT_INSTANCE.privateIp}:`) || /(\*|0\.0\.0\.0|\[::\]):\d/.test(line.split(/\s+/)[4] ?? ""),
      )
      .map((line) => `${line.split(/\s+/)[0]} ${line.split(/\s+/)[4]}`)
      .sort();
    expect(instance).toEqual(
      [
        `tcp ${BOOT_INSTANCE.privateIp}:${node.sipPort}`,
        `udp ${BOOT_INSTANCE.privateIp}:${node.egressPort}`,
        `udp ${BOOT_INSTANCE.privateIp}:${node.sipPort}`,
      ].sort(),
    );
  });

  it("publishes shared memory and transactions each minute as user kamailio: a SIPSTAT line CloudWatch's filters take both numbers from (model)", () => {
    expect(clean.file("etc/systemd/system/sip-proxy-stats.service")).toMatch(/^User=kamailio$/m);
    expect(clean.file("etc/systemd/system/sip-proxy-stats.timer")).toMatch(/^OnCalendar=minutely$/m);
    expect(clean.systemctlCalls).toContain("rc=0 systemctl enable --now sip-proxy-stats.timer");
    // The runner fired the timer once; the line went through the journal into the shipped file.
    expect(clean.timers).toContain("firing sip-proxy-stats.timer");
    expect(clean.timers).not.toMatch(/^exit /m);
    const lines = (clean.file("var/log/kamailio.log") ?? "").split("\n").filter((l) => l.includes("SIPSTAT"));
    expect(lines).toHaveLength(1);
    const extracted = matchSpaceDelimited(NODE_STAT_PATTERN, lines[0]);
    const shm = extracted && metricValue(`$${NODE_STAT_METRICS.SharedMemoryUsedPercent.field}`, extracted);
    const transactions = extracted && metricValue(`$${NODE_STAT_METRICS.ActiveTransactions.field}`, extracted);
    // A fresh Kamailio with the instance's shared memory (-m): a little of it used, no calls.
    expect(shm).toBeGreaterThan(0);
    expect(shm).toBeLessThan(10);
    expect(transactions).toBe(0);
  });

  it("installs the operator's tools (sngrep) with Kamailio", () => {
    for (const tool of OPERATOR_PACKAGES) expect(clean.console).toMatch(new RegExp(`Setting up ${tool} `));
  });

  it("tags itself with the image and the Kamailio version it booted, with a signed CreateTags", () => {
    const call = clean.requests.find((r) => r.service === "ec2");
    expect(call?.signed).toBe(true);
    const form = new URLSearchParams(call?.body ?? "");
    expect(Object.fromEntries(form)).toMatchObject({
      Action: "CreateTags",
      "ResourceId.1": BOOT_INSTANCE.instanceId,
      "Tag.1.Key": "BootImageId",
      "Tag.1.Value": BOOT_INSTANCE.amiId,
      "Tag.2.Key": "KamailioVersion",
    });
    expect(form.get("Tag.2.Value")).toMatch(/^6\.0\.\d+$/);
  });
});

describe("a first boot when the world misbehaves", () => {
  it("retries instance metadata that is not ready and still boots with the right address", async () => {
    const result = await boot({ imdsResets: 3 });
    expect(bootProblems(result, expected)).toEqual([]);
    expect(result.console).toMatch(/attempt 1\/20 failed, retrying in 3s: imds local-ipv4/);
  });

  // apt 3.0 itself retries a refused connection a few times (about 7 s): the mirror stays
  // unreachable longer than that, as it does while a new instance's network comes up.
  it("retries apt-get update while the mirror is unreachable, then installs", async () => {
    const result = await boot({ mirrorResets: 8 });
    expect(bootProblems(result, expected)).toEqual([]);
    expect(result.console).toMatch(/attempt 1\/10 failed, retrying in 15s: apt-get .* --error-on=any update/);
  });

  it("completes with a loud warning when the CloudWatch agent cannot be downloaded", async () => {
    const result = await boot({ awsFailures: { cloudwatchAgent: "always" } });
    expect(bootProblems(result, expected)).toEqual([]);
    expect(result.console).toMatch(/WARNING: CloudWatch agent setup failed/);
  });

  it("retries a failing SSM agent download and still boots", async () => {
    const result = await boot({ awsFailures: { ssmAgent: 2 } });
    expect(bootProblems(result, expected)).toEqual([]);
  });

  it("refuses, loudly, to start a Kamailio of another series than the tests ran", async () => {
    const tested58 = withDefect(/^6\.0\.\*\)/m, "5.8.*)").replace("tests ran 6.0.x", "tests ran 5.8.x");
    const result = await boot({}, tested58);
    expect(failedLoudly(result)).toBe(true);
    expect(result.console).toMatch(/FAILED: installed Kamailio is '6\.0\.\d+', but the tests ran 5\.8\.x/);
    expect(result.units.find((u) => u.unit === "kamailio.service")?.running ?? false).toBe(false);
  });
});

describe("a first boot with digest authentication (sourceAuth)", () => {
  const parameter = "/sip-proxy/dev/source-auth-password";
  // Quotes, a dollar and a space: the password must reach the hash byte for byte.
  const password = `it's a "$ecret" pass`;
  const authCfg = parseEnvironment({
    ...environments.find((e) => e.name === "dev")!,
    sourceAuth: { username: "twilio-source", passwordParameter: parameter },
  });
  const authUserData = renderNodeUserData(nodeSettingsFor(authCfg), "203.0.113.10");
  let result: BootResult;
  beforeAll(async () => {
    result = await bootUserData(authUserData, {}, { ssmParameters: { [parameter]: password } });
  });

  it("reads the password from SSM with a signed, decrypting GetParameter and starts Kamailio", () => {
    expect(bootProblems(result, expected)).toEqual([]);
    const calls = result.requests.filter((r) => r.service === "ssm");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ signed: true, target: "AmazonSSM.GetParameter" });
    expect(JSON.parse(calls[0].body!)).toEqual({ Name: parameter, WithDecryption: true });
  });

  it("gives Kamailio the password's HA1 and the shared nonce secret in a file only root and kamailio can read", () => {
    expect(result.file("etc/kamailio/source-auth.cfg")).toBe(
      sourceAuthInclude({ username: "twilio-source", realm: authCfg.stackName, password }),
    );
    expect(result.access("etc/kamailio/source-auth.cfg")).toEqual({ mode: 0o640, group: "kamailio" });
  });

  it("never writes the password where it could be read: config, unit, process list, logs", () => {
    const places = [
      result.file("etc/kamailio/kamailio.cfg"),
      result.file("etc/systemd/system/kamailio.service.d/sip-proxy.conf"),
      result.file("var/log/sip-proxy-setup.log"),
      result.console,
      ...result.units.map((u) => u.commandLine),
    ];
    expect(places.filter((text) => text?.includes("$ecret"))).toEqual([]);
  });

  it("stops before starting Kamailio, loudly, when the parameter cannot be read", async () => {
    const missing = await bootUserData(authUserData, {}, { ssmParameters: {} });
    expect(failedLoudly(missing)).toBe(true);
    expect(missing.console).toContain(`FAILED: could not read SSM parameter ${parameter}`);
    expect(missing.units.find((u) => u.unit === "kamailio.service")?.running ?? false).toBe(false);
  });
});

// Each fixed defect, put back: the boot test must see it.
describe("the boot test catches the defects it was built for", () => {
  it("log lines captured into PRIVATE_IP when the first metadata call fails", async () => {
    const result = await boot({ imdsResets: 1 }, withDefect('sip-proxy-setup: $*" >&2; }', 'sip-proxy-setup: $*"; }'));
    expect(bootProblems(result, expected)).toContain("Kamailio is not running");
    expect(failedLoudly(result)).toBe(true);
  });

  it("an apt-get update that exits 0 with the mirror unreachable", async () => {
    const result = await boot({ mirrorResets: 8 }, withDefect(" --error-on=any update", " update"));
    expect(bootProblems(result, expected)).toContain("Kamailio is not running");
    expect(failedLoudly(result)).toBe(true);
  });

  it("a restart of rsyslog, which Debian's image does not have", async () => {
    const result = await boot(
      {},
      withDefect(
        "\ninstall -d -m 0755 /etc/systemd/system/logrotate.timer.d",
        "\nsystemctl restart rsyslog\ninstall -d -m 0755 /etc/systemd/system/logrotate.timer.d",
      ),
    );
    expect(result.systemctlCalls).toContain("rc=5 systemctl restart rsyslog");
    expect(failedLoudly(result)).toBe(true);
  });

  it("an RPC socket left with ctl's default mode (0600): not the group's, and the publisher cannot read it", async () => {
    const result = await boot({}, withDefect('modparam("ctl", "mode", 0660)\n', ""));
    expect(bootProblems(result, expected)).toEqual([
      `the RPC socket ${CONTROL_SOCKET} is socket root:kamailio 0600, not socket root:kamailio 0660`,
      "the stats publisher wrote no SIPSTAT line to /var/log/kamailio.log",
    ]);
  });

  it("no SSM agent step", async () => {
    const result = await boot({}, withDefect(/^if install_ssm_agent; then\n[\s\S]*?^fi\n/m, ""));
    expect(bootProblems(result, expected)).toEqual([
      "the SSM agent was never downloaded",
      "the SSM agent is not running",
    ]);
  });
});

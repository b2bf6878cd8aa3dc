// The load-balanced signalling settings (README "Load-balanced signalling"): the egress port
// and TCP keepalive, checked against AWS's idle timeouts and the config's other ports.
import { AWS_IDLE_SECONDS, NLB_TARGET_HEALTH, SIP_NON_INVITE_TIMEOUT_SECONDS } from "../../config/aws-network";
import { environments } from "../../config/environments";
import { nodeSettingsFor, TCP_SETTINGS } from "../../config/node-settings";
import { parseEnvironment, type EnvironmentInput } from "../../config/schema";
import { renderNodeUserData } from "../../templates/render";

const dev = environments.find((e) => e.name === "dev")!;
const withSip = (sip: Record<string, unknown>) => ({ ...dev, sip: { ...(dev.sip ?? {}), ...sip } }) as EnvironmentInput;

describe("signalling through AWS's packet path", () => {
  it("probes idle TCP connections before a NAT gateway or NLB forgets them (350 s)", () => {
    const firstProbe = TCP_SETTINGS.keepaliveIdleSeconds;
    expect(firstProbe).toBeLessThan(Math.min(AWS_IDLE_SECONDS.natGateway, AWS_IDLE_SECONDS.nlbTcp));
    const config = renderNodeUserData(nodeSettingsFor(parseEnvironment(dev)), "203.0.113.10");
    expect(config).toMatch(new RegExp(`#!define TCP_KEEPIDLE_S ${firstProbe}\\n`));
    expect(config).toContain("\ntcp_keepalive=yes\n");
  });

  it("takes a dead instance out of the NLB while the other side still retransmits its BYE (32 s)", () => {
    // Worst case: the crash just after a passed check, then unhealthyThreshold failed checks,
    // the last one waiting out its timeout.
    const worstDetection =
      NLB_TARGET_HEALTH.intervalSeconds * NLB_TARGET_HEALTH.unhealthyThreshold + NLB_TARGET_HEALTH.timeoutSeconds;
    expect(worstDetection).toBeLessThan(SIP_NON_INVITE_TIMEOUT_SECONDS);
    expect(SIP_NON_INVITE_TIMEOUT_SECONDS).toBe(64 * 0.5);
  });

  it("sends requests to the destination from the egress port, 5080 unless that port is taken", () => {
    expect(parseEnvironment(dev).sip.egressPort).toBe(5080);
    expect(parseEnvironment(withSip({ port: 5080 })).sip.egressPort).toBe(5090);
    expect(parseEnvironment(withSip({ egressPort: 6000 })).sip.egressPort).toBe(6000);
    const config = renderNodeUserData(nodeSettingsFor(parseEnvironment(dev)), "203.0.113.10");
    expect(config).toContain('listen=udp:PRIVATE_IP:EGRESS_PORT advertise ADVERTISED_ADDRESS:SIP_PORT name "egress"');
    expect(config).toContain('#!substdef "!EGRESS_PORT!5080!g"');
  });

  it("refuses an egress port equal to the SIP or TLS port, naming a free one", () => {
    expect(() => parseEnvironment(withSip({ egressPort: 5060 }))).toThrow(
      /sip\.egressPort = 5060: is the same as sip\.port or sip\.tlsPort\. Fix: use another port, e\.g\. 5080/,
    );
    expect(() => parseEnvironment(withSip({ port: 5080, egressPort: 5080 }))).toThrow(/e\.g\. 5090/);
  });
});

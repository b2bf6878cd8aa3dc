import { TWILIO_EDGES_PUBLISHED } from "../fixtures/twilio-edges";
import { gzipSync } from "node:zlib";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { nodeSettingsFor } from "../../config/node-settings";
import { escapeTerraformTemplate } from "../../constructs/sip-launch-template";
import { deployedUserData, embeddedKamailioConfig, synthesizeToMemory } from "../../scripts/lib/stack-json";
import { PARAMETER_BLOCK, kamailioView, renderNodeUserData, renderTemplate } from "../../templates/render";
import { contrastingInput, dev, loadBalancedInput } from "../fixtures/environments";

/** Splits a kamailio.cfg into its parameter block and everything else. */
function splitConfig(cfg: string): { block: string; core: string } {
  const begin = cfg.indexOf(PARAMETER_BLOCK.begin);
  const end = cfg.indexOf(PARAMETER_BLOCK.end);
  expect(begin).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(begin);
  return { block: cfg.slice(begin, end), core: cfg.slice(0, begin) + cfg.slice(end) };
}

describe("kamailio.cfg template", () => {
  const stacks = synthesizeToMemory([dev, contrastingInput, loadBalancedInput]);
  const devCfg = embeddedKamailioConfig(deployedUserData(stacks.get("dev")!));
  const otherCfg = embeddedKamailioConfig(deployedUserData(stacks.get("contrast")!));
  const lbCfg = embeddedKamailioConfig(deployedUserData(stacks.get("lbtest")!));

  it("is the same SIP core for two environments that differ in every setting", () => {
    const a = splitConfig(devCfg);
    const b = splitConfig(otherCfg);
    expect(a.block).not.toEqual(b.block);
    expect(a.core).toEqual(b.core);
  });

  it("is the same SIP core for the single and the load-balanced architecture", () => {
    const single = splitConfig(devCfg);
    const balanced = splitConfig(lbCfg);
    expect(balanced.block).toContain('#!substdef "!ADVERTISED_ADDRESS!sip.lbtest.voice-fixture.net!g"');
    expect(balanced.block).not.toEqual(single.block);
    expect(balanced.core).toEqual(single.core);
  });

  it("keeps every per-environment value inside the parameter block", () => {
    const { core } = splitConfig(otherCfg);
    for (const value of [
      "other-account.sip.ie1.twilio.com",
      "54.171.127.192/26",
      "5080",
      "8000",
      "60000",
      "contrast",
    ]) {
      expect({ value, inCore: core.includes(value) }).toEqual({ value, inCore: false });
    }
  });

  it("filters sources by the exact configured subnets, not by a text pattern", () => {
    expect(otherCfg).toContain(
      `#!define ALLOWED_SOURCES "${[...TWILIO_EDGES_PUBLISHED, "198.51.100.0/24", "192.0.2.16/28"].join(",")}"`,
    );
    expect(otherCfg).toContain('is_in_subnet("$si", ALLOWED_SOURCES)');
    expect(otherCfg).not.toMatch(/\$si\s*=~/);
  });

  it("rewrites the Request-URI to the destination and records the advertised route", () => {
    expect(devCfg).toContain('#!define DESTINATIONS "example-dev.sip.twilio.com"');
    expect(devCfg).toContain("#!define DESTINATION_COUNT 1");
    expect(devCfg).toContain('$ru = "sip:" + $rU + "@" + $var(destination);');
    expect(devCfg).toContain('$var(rr_in) = "ADVERTISED_ADDRESS:SIP_PORT";');
    expect(devCfg).toContain('record_route_preset("$var(rr_in)");');
    expect(devCfg).toContain("listen=udp:PRIVATE_IP:SIP_PORT advertise ADVERTISED_ADDRESS:SIP_PORT");
  });

  it("never puts a #!define name inside a quoted string, where Kamailio would not expand it", () => {
    const defines = [...devCfg.matchAll(/^#!define (\w+)/gm)].map((m) => m[1]);
    expect(defines.length).toBeGreaterThan(3);
    const quoted = [...devCfg.replace(/^#.*$/gm, "").matchAll(/"([^"\n]*)"/g)].map((m) => m[1]);
    for (const name of defines) {
      expect({ name, quotedUses: quoted.filter((q) => new RegExp(`\\b${name}\\b`).test(q)) }).toEqual({
        name,
        quotedUses: [],
      });
    }
  });
});

describe("user-data template", () => {
  it("stays under the 16 KB launch-template limit once gzipped and base64-encoded", () => {
    for (const input of [...environments, contrastingInput]) {
      const cfg = parseEnvironment(input);
      // Worst case for the advertised address: a long DNS name.
      const script = renderNodeUserData(nodeSettingsFor(cfg), `${"a".repeat(60)}.${"b".repeat(60)}.example.com`);
      const encoded = gzipSync(script, { level: 9 }).toString("base64");
      expect(encoded.length).toBeLessThan(16 * 1024);
    }
  });

  it("embeds the kamailio.cfg rendered for the same settings", () => {
    const cfg = parseEnvironment(dev);
    const script = renderNodeUserData(nodeSettingsFor(cfg), "198.51.100.7");
    expect(embeddedKamailioConfig(script)).toBe(
      renderTemplate("kamailio", kamailioView(nodeSettingsFor(cfg), "198.51.100.7")),
    );
  });

  it("sizes Kamailio's memory from the config and caps it by the instance's RAM", () => {
    const cfg = parseEnvironment({ ...dev, sip: { peakCallsPerSecond: 4000 } });
    const script = renderNodeUserData(nodeSettingsFor(cfg), "198.51.100.7");
    expect(script).toContain(`SHM_WANTED_MB=${cfg.sip.sharedMemoryMb}`);
    expect(script).toMatch(/MEM_MB \/ 2/);
    expect(script).toMatch(/-m \$SHM_MB -M \$PKG_MB -x tlsf/);
  });

  it("validates the config before starting Kamailio and restarts it on failure", () => {
    const script = renderNodeUserData(nodeSettingsFor(parseEnvironment(dev)), "198.51.100.7");
    const check = script.indexOf('kamailio -c "${KAMAILIO_ARGS[@]}"');
    const start = script.indexOf("systemctl restart kamailio");
    expect(check).toBeGreaterThan(-1);
    expect(start).toBeGreaterThan(check);
    expect(script).toContain("Restart=on-failure");
    expect(script).toContain("ExecStartPre=/usr/sbin/kamailio -c");
    expect(script).toMatch(/setup complete/);
  });

  it("installs the SSM agent before apt runs and refuses a Kamailio series other than 6.0", () => {
    const script = renderNodeUserData(nodeSettingsFor(parseEnvironment(dev)), "198.51.100.7");
    const ssm = script.indexOf("debian_amd64/amazon-ssm-agent.deb");
    expect(ssm).toBeGreaterThan(-1);
    expect(ssm).toBeLessThan(script.indexOf("apt-get"));
    expect(script).toMatch(/^case "\$KAMAILIO_VERSION" in\n6\.0\.\*\)/m);
    expect(script).toContain("but the tests ran 6.0.x; Kamailio was not started");
    expect(script).not.toMatch(/rsyslog|ubuntu/);
  });
});

describe("escapeTerraformTemplate", () => {
  it("escapes Terraform template syntax but keeps cdktf tokens", () => {
    expect(escapeTerraformTemplate('echo "${HOME}" %{x} ${TfToken[TOKEN.1]}')).toBe(
      'echo "$${HOME}" %%{x} ${TfToken[TOKEN.1]}',
    );
  });
});

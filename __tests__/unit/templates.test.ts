import { TWILIO_EDGES_PUBLISHED } from "../fixtures/twilio-edges";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { nodeSettingsFor } from "../../config/node-settings";
import { escapeTerraformTemplate } from "../../constructs/sip-launch-template";
import { deployedUserData, embeddedKamailioConfig, synthesizeToMemory } from "../../scripts/lib/stack-json";
import {
  CONTROL_SOCKET,
  OPERATOR_PACKAGES,
  PARAMETER_BLOCK,
  STATS_PUBLISHER,
  embeddedScript,
  kamailioView,
  renderNodeUserData,
  renderTemplate,
} from "../../templates/render";
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

  it("loads Kamailio's RPC once, on a unix socket only (ctl's default), for user and group kamailio, mode 0660", () => {
    expect(devCfg.match(/^loadmodule "ctl\.so"$/gm)).toHaveLength(1);
    expect(devCfg.match(/^loadmodule "(jsonrpcs|xmlrpc|xhttp)\.so"$/gm)).toBeNull();
    // No "binrpc"/"fifo" listener of its own: ctl's default is the one unix socket.
    expect(devCfg.match(/^modparam\("ctl", .*$/gm)).toEqual([
      'modparam("ctl", "user", "kamailio")',
      'modparam("ctl", "group", "kamailio")',
      'modparam("ctl", "mode", 0660)',
    ]);
  });

  it("marks a double Record-Route r2=on, so that loose_route removes both of the proxy's entries", () => {
    expect(devCfg).toContain('record_route_preset("$var(rr_out);r2=on", "$var(rr_in);r2=on");');
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

describe("user-data: live inspection", () => {
  const script = renderNodeUserData(nodeSettingsFor(parseEnvironment(dev)), "198.51.100.7");

  it("hands Kamailio's RPC socket to root after every start, with full privileges, never stopping calls for it", () => {
    expect(script).toContain(`ExecStartPost=-+/usr/bin/chown root ${CONTROL_SOCKET}`);
  });

  it("installs the stats publisher as shipped, run each minute as kamailio, logging as kamailio", () => {
    const installed = new RegExp(
      `install -m 0755 /dev/stdin ${STATS_PUBLISHER.installedAt} <<'STATS'\n([\\s\\S]*?)\nSTATS\n`,
    ).exec(script);
    // The shipped script, its comment lines left out of the user-data (16 KB limit).
    const shipped = readFileSync(STATS_PUBLISHER.script, "utf8").split("\n");
    const code = (lines: readonly string[]) => lines.filter((l) => l.trim() !== "" && !/^\s*#/.test(l));
    expect(code(installed?.[1].split("\n") ?? [])).toEqual(code(shipped));
    expect(installed?.[1].split("\n")[0]).toBe("#!/bin/bash");
    expect(installed?.[1]).toBe(embeddedScript(STATS_PUBLISHER.script));
    const service =
      /<< *'UNIT'\n(\[Unit\]\nDescription=Kamailio's shared memory[\s\S]*?)\nUNIT\n/.exec(script)?.[1] ?? "";
    expect(service.split("\n").filter((l) => /^(Type|User|Group|ExecStart|SyslogIdentifier)=/.test(l))).toEqual([
      "Type=oneshot",
      "User=kamailio",
      "Group=kamailio",
      `ExecStart=${STATS_PUBLISHER.installedAt}`,
      "SyslogIdentifier=kamailio",
    ]);
    expect(script).toMatch(/^OnCalendar=minutely\nAccuracySec=1s$/m);
    expect(script).toContain(`systemctl enable --now ${STATS_PUBLISHER.timer}`);
  });

  it("installs sngrep with Kamailio", () => {
    expect(OPERATOR_PACKAGES).toContain("sngrep");
    expect(script).toMatch(/^retry 10 15 apt-get "\$\{APT_OPTS\[@\]\}" install kamailio .*\bsngrep\b/m);
  });
});

describe("escapeTerraformTemplate", () => {
  it("escapes Terraform template syntax but keeps cdktf tokens", () => {
    expect(escapeTerraformTemplate('echo "${HOME}" %{x} ${TfToken[TOKEN.1]}')).toBe(
      'echo "$${HOME}" %%{x} ${TfToken[TOKEN.1]}',
    );
  });
});

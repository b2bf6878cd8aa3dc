import { environments } from "../../config/environments";
import { parseEnvironments } from "../../config/schema";
import { DEFAULT_LAB_ADDRESSES, labKamailioConfig } from "../../lab/config";
import { checkConfig } from "../../lab/kamailio";
import { deployedUserData, embeddedKamailioConfig, synthesizeToMemory } from "../../scripts/lib/stack-json";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSourceAuthFile } from "../../lab/source-auth";
import { PARAMETER_BLOCK, SOURCE_AUTH_FILE } from "../../templates/render";
import { contrastingInput, loadBalancedInput, tlsInput } from "../fixtures/environments";
import { requireKamailioRoot } from "./require-tool";

/** Stands in for the digest credentials an instance writes at boot from SSM. */
const sourceAuthFile = writeSourceAuthFile(join(mkdtempSync(join(tmpdir(), "source-auth-")), "source-auth.cfg"), {
  username: "u",
  realm: "r",
  password: "p",
});
/**
 * Stands in for values Terraform fills in at deploy time (e.g. the Elastic IP), and for the
 * credentials file the boot script writes.
 */
const withSampleAddresses = (cfg: string) =>
  cfg.replace(/\$\{[^}]+\}/g, "203.0.113.10").replace(SOURCE_AUTH_FILE, sourceAuthFile);
const core = (cfg: string) =>
  cfg.slice(0, cfg.indexOf(PARAMETER_BLOCK.begin)) + cfg.slice(cfg.indexOf(PARAMETER_BLOCK.end));

describe("rendered kamailio.cfg", () => {
  beforeAll(() => requireKamailioRoot());

  const inputs = [...environments, contrastingInput, loadBalancedInput, tlsInput];
  const stacks = synthesizeToMemory(inputs);

  it.each([...stacks.keys()])("passes kamailio -c as deployed for %s", (name) => {
    const cfg = withSampleAddresses(embeddedKamailioConfig(deployedUserData(stacks.get(name)!)));
    const result = checkConfig(cfg);
    expect({ ok: result.ok, output: result.ok ? "" : result.output }).toEqual({ ok: true, output: "" });
  });

  it.each(parseEnvironments(inputs).map((cfg) => [cfg.name, cfg] as const))(
    "has a lab variant for %s that passes kamailio -c and keeps the deployed SIP core",
    (name, cfg) => {
      const lab = labKamailioConfig(cfg, { ...DEFAULT_LAB_ADDRESSES, sourceAuthFile });
      expect(checkConfig(lab).ok).toBe(true);
      expect(core(lab)).toBe(core(withSampleAddresses(embeddedKamailioConfig(deployedUserData(stacks.get(name)!)))));
    },
  );

  it("is rejected by kamailio -c when broken (the check is live)", () => {
    const cfg = withSampleAddresses(embeddedKamailioConfig(deployedUserData(stacks.get("dev")!)));
    expect(checkConfig(cfg.replace("route(RELAY);", "no_such_function();")).ok).toBe(false);
  });
});

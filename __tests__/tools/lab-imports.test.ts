// Rendering a config for the lab, the boot test or the network twin must not load cdktf or
// the AWS provider (seconds of start-up, and a sign that config → template knowledge has
// leaked into the stack). A fresh Node process renders one and lists what it loaded.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const PROJECT = join(__dirname, "..", "..");

function modulesLoadedBy(script: string): string[] {
  const result = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: PROJECT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").pop()!) as string[];
}

const LOADED = "console.log(JSON.stringify(Object.keys(require.cache)))";

describe("rendering a config without the stack", () => {
  it("renders an environment's lab kamailio.cfg and user-data without loading cdktf or the provider", () => {
    const loaded = modulesLoadedBy(`
      const { environments } = require("./config/environments");
      const { parseEnvironment } = require("./config/schema");
      const { labKamailioConfig } = require("./lab/config");
      const { nodeSettingsFor } = require("./config/node-settings");
      const { renderNodeUserData } = require("./templates/render");
      const cfg = parseEnvironment(environments[0]);
      if (!labKamailioConfig(cfg).includes("BEGIN PARAMETER BLOCK")) throw new Error("no config rendered");
      if (!renderNodeUserData(nodeSettingsFor(cfg), "198.51.100.7").startsWith("#!/bin/bash")) throw new Error("no user-data");
      ${LOADED}`);
    expect(loaded.some((m) => m.includes("/lab/config.ts"))).toBe(true);
    expect(loaded.filter((m) => /node_modules\/(cdktf|@cdktf)\//.test(m))).toEqual([]);
  });

  it("can tell when the stack is loaded (the check is live)", () => {
    const loaded = modulesLoadedBy(`require("./stacks/sip-proxy-stack"); ${LOADED}`);
    expect(loaded.some((m) => /node_modules\/@cdktf\/provider-aws\//.test(m))).toBe(true);
  });
});

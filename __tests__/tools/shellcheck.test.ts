import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { environments } from "../../config/environments";
import { deployedUserData, synthesizeToMemory } from "../../scripts/lib/stack-json";
import { DRAIN_SCRIPT, STATS_PUBLISHER, embeddedScript } from "../../templates/render";
import { contrastingInput, tlsInput } from "../fixtures/environments";
import { requireTool } from "./require-tool";

describe("user-data script", () => {
  beforeAll(() => requireTool("shellcheck"));

  const stacks = synthesizeToMemory([...environments, contrastingInput, tlsInput]);

  it.each([...stacks.keys()])("passes shellcheck as deployed for %s", (name) => {
    const script = deployedUserData(stacks.get(name)!);
    const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
      input: script,
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  // The helper scripts the user-data installs through quoted heredocs, which shellcheck does not
  // read as code there: checked as files, and as embedded (comments dropped).
  it.each([
    ["drain.sh", DRAIN_SCRIPT],
    ["sip-stats.sh", STATS_PUBLISHER.script],
  ])("installs templates/%s, which passes shellcheck as shipped and as embedded", (_name, file) => {
    for (const input of [readFileSync(file, "utf8"), `${embeddedScript(file)}\n`]) {
      const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input, encoding: "utf8" });
      expect(result.stdout + result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
  });

  it("is caught by shellcheck when broken (the check is live)", () => {
    const result = spawnSync("shellcheck", ["--shell=bash", "-"], {
      input: "#!/bin/bash\nrm -rf $DIR/*\n",
      encoding: "utf8",
    });
    expect(result.status).not.toBe(0);
  });
});

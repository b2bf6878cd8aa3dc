// An S3-backed environment with a leftover local state full of resources is refused before
// anything runs `terraform init` without migrating it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { checkNoStrandedLocalState, localStateFile, StrandedStateError } from "../../stacks/state-guard";

describe("local state left behind after moving to S3", () => {
  const configs = environments.map(parseEnvironment);
  const staging = configs.find((c) => c.name === "staging")!;
  const dev = configs.find((c) => c.name === "dev")!;
  const root = mkdtempSync(join(tmpdir(), "state-guard-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("staging and prod keep their state in S3 with a lock file by default", () => {
    for (const cfg of configs.filter((c) => c.name !== "dev")) {
      expect(cfg.stateBackend).toMatchObject({ bucket: `voice-team-sip-proxy-state-${cfg.name}`, region: "us-east-1" });
    }
  });

  it("refuses an S3 environment whose old local state still holds resources", () => {
    writeFileSync(
      localStateFile(staging.stackName, root),
      JSON.stringify({ lineage: "x", serial: 7, resources: [{}] }),
    );
    expect(() => checkNoStrandedLocalState(configs, root)).toThrow(StrandedStateError);
    expect(() => checkNoStrandedLocalState(configs, root)).toThrow(/terraform init -migrate-state/);
  });

  it("accepts an emptied local state, and local state where it belongs", () => {
    writeFileSync(localStateFile(staging.stackName, root), JSON.stringify({ lineage: "x", serial: 8, resources: [] }));
    writeFileSync(localStateFile(dev.stackName, root), JSON.stringify({ lineage: "y", serial: 3, resources: [{}] }));
    expect(() => checkNoStrandedLocalState(configs, root)).not.toThrow();
  });
});

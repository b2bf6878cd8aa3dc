// The deploy rehearsal of every shipped environment: each stack applied by real Terraform and
// the hashicorp/aws provider to moto on loopback (scripts/lib/rehearse-run.ts), side by side.
// Needs the moto root (`npm run roots`, which npm test runs first) and Terraform.
import { join } from "node:path";
import { environments } from "../../config/environments";
import { currentMotoRoot, startMoto } from "../../scripts/lib/moto";
import { rehearseEnvironments, type RehearsalResult } from "../../scripts/lib/rehearse-run";
import { SCRATCH_DIR } from "../../scripts/lib/terraform";

jest.setTimeout(10 * 60 * 1000);

describe("deploy rehearsal against moto", () => {
  let results: RehearsalResult[];
  const lines: string[] = [];

  beforeAll(async () => {
    const { root, version } = currentMotoRoot();
    results = await rehearseEnvironments(
      environments.map((e) => e.name),
      (name) => startMoto(root, version, join(SCRATCH_DIR, "rehearsal", `moto-jest-${name}.log`)),
      (line) => lines.push(line),
    );
    // The per-environment progress and findings, for the CI log.
    process.stdout.write(`${lines.join("\n")}\n`);
  });

  it.each(environments.map((e) => e.name))(
    "applies %s, matches the reviewed state, re-plans clean, refuses destroy",
    (name) => {
      const result = results.find((r) => r.environment === name)!;
      expect({ environment: name, failures: result.failures }).toEqual({ environment: name, failures: [] });
    },
  );
});

// The deploy rehearsal of every shipped environment: each stack applied by real Terraform and
// the hashicorp/aws provider to moto on loopback (scripts/lib/rehearse-run.ts), side by side.
// Needs the moto root (`npm run roots`, which npm test runs first) and Terraform.
import { join } from "node:path";
import { environments } from "../../config/environments";
import { currentMotoRoot, startMoto, type MotoServer } from "../../scripts/lib/moto";
import { rehearseEnvironments, type RehearsalResult } from "../../scripts/lib/rehearse-run";
import { SCRATCH_DIR } from "../../scripts/lib/terraform";

jest.setTimeout(10 * 60 * 1000);

describe("deploy rehearsal against moto", () => {
  const servers: MotoServer[] = [];
  let results: RehearsalResult[];
  const lines: string[] = [];

  beforeAll(async () => {
    const { root, version } = currentMotoRoot();
    // One moto per environment: three applies against one server at once failed now and then
    // inside moto (CreateNatGateway "Resource.AlreadyAssociated", AuthorizeSecurityGroupIngress
    // "InvalidPermission.Duplicate"), never against a server of their own.
    results = (
      await Promise.all(
        environments.map(async (e) => {
          const server = await startMoto(root, version, join(SCRATCH_DIR, "rehearsal", `moto-jest-${e.name}.log`));
          servers.push(server);
          return rehearseEnvironments([e.name], server, (line) => lines.push(line));
        }),
      )
    ).flat();
    // The per-environment progress and findings, for the CI log.
    process.stdout.write(`${lines.join("\n")}\n`);
  });
  afterAll(async () => Promise.all(servers.map((s) => s.stop())));

  it.each(environments.map((e) => e.name))(
    "applies %s, matches the reviewed state, re-plans clean, refuses destroy",
    (name) => {
      const result = results.find((r) => r.environment === name)!;
      expect({ environment: name, failures: result.failures }).toEqual({ environment: name, failures: [] });
    },
  );
});

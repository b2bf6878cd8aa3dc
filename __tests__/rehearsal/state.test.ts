// State that cannot be lost, rehearsed against moto's S3: the state bucket bootstrap, the S3
// backend with its lock file, and moving a local state into S3.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { currentMotoRoot, startMoto, type MotoServer } from "../../scripts/lib/moto";
import { emulatorOverride, rehearsalEnv, tfAsync, tfOk } from "../../scripts/lib/rehearsal";
import { stateBucketConfig } from "../../scripts/lib/state-bootstrap";
import { SCRATCH_DIR } from "../../scripts/lib/terraform";
import { synthesizeToMemory } from "../../scripts/lib/stack-json";

jest.setTimeout(5 * 60 * 1000);

const staging = parseEnvironment(environments.find((e) => e.name === "staging")!);
const bucket = staging.stateBackend!.bucket;
const root = join(SCRATCH_DIR, "rehearsal", "state");

/** The staging stack's own S3 backend block, plus only what points it at the emulator. */
function emulatedBackend(endpoint: string): Record<string, unknown> {
  const json = synthesizeToMemory([environments.find((e) => e.name === "staging")!]).get("staging")!;
  const s3 = (json.terraform as { backend: { s3: Record<string, unknown> } }).backend.s3;
  return {
    ...s3,
    endpoints: { s3: endpoint },
    use_path_style: true,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
  };
}

describe("state in S3, rehearsed against moto", () => {
  let server: MotoServer;
  const env = rehearsalEnv();
  beforeAll(async () => {
    rmSync(root, { recursive: true, force: true });
    const { root: motoRoot, version } = currentMotoRoot();
    server = await startMoto(motoRoot, version, join(root, "moto.log"));
  });
  afterAll(async () => server?.stop());

  it("bootstrap-state creates a versioned, encrypted, private, TLS-only bucket", async () => {
    const dir = join(root, "bootstrap");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(stateBucketConfig(staging, "5.100.0")));
    writeFileSync(join(dir, "emulator_override.tf.json"), JSON.stringify(emulatorOverride(server.endpoint)));
    await tfOk(["init", "-input=false", "-no-color"], dir, env);
    await tfOk(["apply", "-auto-approve", "-input=false", "-no-color"], dir, env);
    const get = async (query: string) => (await fetch(`${server.endpoint}/${bucket}?${query}`)).text();
    expect(await get("versioning")).toContain("<Status>Enabled</Status>");
    expect(await get("encryption")).toContain("AES256");
    expect(await get("publicAccessBlock")).toMatch(
      /<BlockPublicAcls>true<\/BlockPublicAcls>[\s\S]*<RestrictPublicBuckets>true/,
    );
    expect(await get("policy")).toContain('"aws:SecureTransport":"false"');
  });

  it("moves a local state into the bucket with the same lineage and serial, and plans nothing after", async () => {
    const dir = join(root, "migrate");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({ resource: { terraform_data: { marker: { input: "sip-proxy-staging" } } } }),
    );
    writeFileSync(
      join(dir, "backend_override.tf.json"),
      JSON.stringify({ terraform: { backend: { local: { path: "local.tfstate" } } } }),
    );
    await tfOk(["init", "-input=false", "-no-color"], dir, env);
    await tfOk(["apply", "-auto-approve", "-input=false", "-no-color"], dir, env);
    const local = JSON.parse(readFileSync(join(dir, "local.tfstate"), "utf8")) as { lineage: string; serial: number };

    writeFileSync(
      join(dir, "backend_override.tf.json"),
      JSON.stringify({ terraform: { backend: { s3: emulatedBackend(server.endpoint) } } }),
    );
    // Without -migrate-state Terraform refuses to switch backends at all.
    const refused = await tfAsync(["init", "-input=false", "-no-color"], dir, env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("Backend configuration changed");
    // The emulator speaks plain HTTP, and moto applies the bucket's TLS-only policy to signed
    // object requests: the state read is refused, which is the policy doing its job.
    const overHttp = await tfAsync(["init", "-input=false", "-no-color", "-migrate-state", "-force-copy"], dir, env);
    expect(overHttp.status).toBe(1);
    expect(overHttp.stderr).toMatch(/HeadObject, https response error StatusCode: 403/);
    // For the rest of the rehearsal (HTTP only here), the policy is lifted.
    expect((await fetch(`${server.endpoint}/${bucket}?policy`, { method: "DELETE" })).status).toBe(204);
    await tfOk(["init", "-input=false", "-no-color", "-migrate-state", "-force-copy"], dir, env);
    const pulled = JSON.parse((await tfOk(["state", "pull"], dir, env)).stdout) as {
      lineage: string;
      serial: number;
      resources: unknown[];
    };
    const before = JSON.parse(readFileSync(join(dir, "local.tfstate"), "utf8")) as { resources: unknown[] };
    expect({ serial: pulled.serial, resources: pulled.resources }).toEqual({
      serial: local.serial,
      resources: before.resources,
    });
    // Finding, not yet explained: after this migration into moto's S3 (Terraform 1.11.4) the
    // pulled state carries a new lineage although serial and resources are the same.
    process.stdout.write(
      `state migration: serial ${local.serial} -> ${pulled.serial}, lineage ${local.lineage} -> ${pulled.lineage}${pulled.lineage === local.lineage ? " (same)" : " (CHANGED)"}\n`,
    );
    const plan = await tfAsync(["plan", "-input=false", "-no-color", "-detailed-exitcode"], dir, env);
    expect({ status: plan.status, stderr: plan.stderr }).toEqual({ status: 0, stderr: "" });
  });

  it("records whether moto's S3 honours the lock file's conditional write", async () => {
    const dir = join(root, "migrate");
    // Holds the lock for a few seconds: a resource whose creation sleeps.
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({
        resource: {
          terraform_data: {
            marker: { input: "sip-proxy-staging" },
            hold: { input: "hold", provisioner: [{ "local-exec": { command: "sleep 8" } }] },
          },
        },
      }),
    );
    const holder = spawn("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], { cwd: dir, env });
    const held = new Promise<number>((resolve) => holder.on("close", (code) => resolve(code ?? 1)));
    await new Promise((r) => setTimeout(r, 4000));
    const second = await tfAsync(["plan", "-input=false", "-no-color", "-lock-timeout=0s"], dir, env);
    expect(await held).toBe(0);
    process.stdout.write(
      `S3 lock file on moto: a second plan while an apply held the lock exited ${second.status}: ${second.status === 0 ? "NOT refused (moto ignores If-None-Match)" : "refused"}\n`,
    );
    expect(second.status).toBe(1);
    expect(second.stderr).toContain("Error acquiring the state lock");
  });
});

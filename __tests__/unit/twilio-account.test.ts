// The account lock, digest authentication and the failover bound as configuration: what the
// schema accepts and refuses, what synth warns about, and what the stack grants and prints.
import { environments } from "../../config/environments";
import {
  ConfigError,
  environmentWarnings,
  parseEnvironment,
  worstCaseTimeToFinalMs,
  type EnvironmentInput,
} from "../../config/schema";
import { PLACEHOLDER_ACCOUNT_SID, twilioSipDomainOf } from "../../config/twilio";
import { deployedUserData, embeddedKamailioConfig } from "../../scripts/lib/stack-json";
import { contrastingInput, loadBalancedInput, validInput } from "../fixtures/environments";
import { resourcesOf, synthEnvironment } from "../helpers";

function issuesOf(input: unknown) {
  try {
    parseEnvironment(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.problem}`);
    throw error;
  }
  return [];
}

const without = (key: keyof EnvironmentInput) =>
  Object.fromEntries(Object.entries(validInput).filter(([k]) => k !== key));

describe("sourceAccountSids", () => {
  it("is required, with a hint that names both forms", () => {
    expect(() => parseEnvironment(without("sourceAccountSids"))).toThrow(/sourceAccountSids[\s\S]*"any"/);
  });

  it.each([
    ["an uppercase SID", ["AC0123456789ABCDEF0123456789ABCDEF"]],
    ["a SID one digit short", ["AC0123456789abcdef0123456789abcde"]],
    ["a subaccount written with SK", ["SK0123456789abcdef0123456789abcdef"]],
    ["an empty list", []],
    ["any other word", "all"],
  ])("refuses %s", (_, value) => {
    expect(issuesOf({ ...validInput, sourceAccountSids: value }).join("\n")).toMatch(/^sourceAccountSids/m);
  });

  it("refuses a SID listed twice", () => {
    const sid = "AC0123456789abcdef0123456789abcdef";
    expect(issuesOf({ ...validInput, sourceAccountSids: [sid, sid] })).toEqual([
      "sourceAccountSids[1]: repeats sourceAccountSids[0]",
    ]);
  });

  it("puts exactly the listed SIDs into Kamailio's account check", () => {
    const cfg = embeddedKamailioConfig(deployedUserData(synthEnvironment(contrastingInput).json));
    expect(/^#!define SOURCE_ACCOUNT_SIDS "([^"]*)"$/m.exec(cfg)?.[1]).toBe(
      "ACfedcba9876543210fedcba9876543210,AC00112233445566778899aabbccddeeff",
    );
    expect(cfg).not.toMatch(/^#!define ANY_SOURCE_ACCOUNT$/m);
  });

  it('turns the check off only for "any", and synth warns about it every time', () => {
    const cfg = embeddedKamailioConfig(deployedUserData(synthEnvironment(loadBalancedInput).json));
    expect(cfg).toMatch(/^#!define ANY_SOURCE_ACCOUNT$/m);
    expect(cfg).not.toMatch(/SOURCE_ACCOUNT_SIDS "/);
    expect(environmentWarnings(parseEnvironment(loadBalancedInput))).toEqual([
      expect.stringMatching(/^lbtest: sourceAccountSids is "any": calls from every Twilio account are relayed/),
    ]);
  });

  it.each(environments.map((e) => [e.name, e] as const))(
    "ships %s with the placeholder, which synth and next_steps name",
    (name, input) => {
      expect(input.sourceAccountSids).toEqual([PLACEHOLDER_ACCOUNT_SID]);
      // prod warns about its placeholder DNS zone as well (dns.test.ts).
      const warnings = environmentWarnings(parseEnvironment(input)).filter((w) => w.includes("sourceAccountSids"));
      expect(warnings).toEqual([
        expect.stringContaining(`${name}: sourceAccountSids lists the placeholder ${PLACEHOLDER_ACCOUNT_SID}`),
      ]);
      const steps = String(synthEnvironment(input).json.output?.next_steps.value);
      expect(steps.split("\n")[0]).toMatch(new RegExp(`^1\\. Replace the placeholder ${PLACEHOLDER_ACCOUNT_SID}`));
    },
  );

  it("warns about nothing for an environment with a real account", () => {
    expect(environmentWarnings(parseEnvironment(validInput))).toEqual([]);
  });
});

describe("sourceAuth", () => {
  it.each([
    ["a user name with a space", { username: "a b", passwordParameter: "/p" }, "sourceAuth.username"],
    [
      "a parameter name without a leading slash",
      { username: "u", passwordParameter: "p" },
      "sourceAuth.passwordParameter",
    ],
    ["a password in the config", { username: "u", passwordParameter: "/p", password: "x" }, "sourceAuth.password"],
    [
      "a key alias instead of an ARN",
      { username: "u", passwordParameter: "/p", passwordKeyArn: "alias/ssm" },
      "sourceAuth.passwordKeyArn",
    ],
  ])("refuses %s", (_, sourceAuth, path) => {
    expect(issuesOf({ ...validInput, sourceAuth }).join("\n")).toContain(`${path}:`);
  });

  it("lets the instances read only that parameter, and decrypt with its key only through SSM", () => {
    const { json } = synthEnvironment(loadBalancedInput);
    const policies = Object.values(resourcesOf(json, "aws_iam_role_policy")).map(
      (p) => JSON.parse(String(p.policy)) as { Statement: unknown[] },
    );
    const read = policies.find((p) => JSON.stringify(p).includes("ssm:GetParameter"))!;
    expect(read.Statement).toEqual([
      {
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: "arn:aws:ssm:us-west-2:${aws_vpc.vpc.owner_id}:parameter/sip-proxy/lbtest/source-auth",
      },
      {
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        Condition: { StringEquals: { "kms:ViaService": "ssm.us-west-2.amazonaws.com" } },
      },
    ]);
  });

  it("grants no KMS right for the AWS managed key, and nothing at all without sourceAuth", () => {
    const statements = (input: EnvironmentInput) =>
      Object.values(resourcesOf(synthEnvironment(input).json, "aws_iam_role_policy")).map((p) => String(p.policy));
    expect(statements(contrastingInput).filter((p) => p.includes("ssm:GetParameter"))).toHaveLength(1);
    expect(statements(contrastingInput).join()).not.toContain("kms:Decrypt");
    expect(statements(validInput).join()).not.toContain("ssm:GetParameter");
  });

  it("keeps the password out of the synthesized JSON: only the parameter name is there", () => {
    const text = JSON.stringify(synthEnvironment(contrastingInput).json);
    expect(text).toContain("/voice/contrast/source-auth");
    expect(text).not.toMatch(/SOURCE_AUTH_HA1 "/);
  });

  it("shows the digest attributes in the twiml output, with a placeholder password", () => {
    const { json } = synthEnvironment(contrastingInput);
    expect(json.output?.twiml.value).toMatch(
      /^<Response><Dial><Sip username="contrast-proxy" password="PASSWORD_FROM_SSM">sip:EXTENSION@.+:5080<\/Sip><\/Dial><\/Response>$/,
    );
    expect(json.output?.twiml.description).toContain("/voice/contrast/source-auth");
  });
});

describe("sip.progressTimeoutMs", () => {
  it("defaults to 5 s", () => {
    expect(parseEnvironment(validInput).sip.progressTimeoutMs).toBe(5000);
  });

  it("must be shorter than ringTimeoutMs", () => {
    expect(issuesOf({ ...validInput, sip: { progressTimeoutMs: 20000, ringTimeoutMs: 20000 } })).toEqual([
      "sip.progressTimeoutMs: must be shorter than sip.ringTimeoutMs (20000)",
    ]);
  });

  it("bounds the time to a final reply by destinations x (transaction + progress timers)", () => {
    const cfg = parseEnvironment({
      ...validInput,
      destinations: [{ host: "acme.sip.ashburn.twilio.com" }, { host: "acme.sip.umatilla.twilio.com" }],
    });
    expect(worstCaseTimeToFinalMs(cfg)).toBe(2 * (5000 + 5000));
  });
});

describe("the destination's IP ACL instructions", () => {
  it("name each Twilio SIP domain once, whatever edge-localized hosts the destinations use", () => {
    const { json } = synthEnvironment({
      ...validInput,
      destinations: [
        { host: "acme.sip.ashburn.twilio.com" },
        { host: "acme.sip.umatilla.twilio.com" },
        { host: "backup.sip.twilio.com" },
      ],
    });
    expect(json.output?.twilio_ip_acl.description).toBe(
      "Entries for the IP Access Control List of acme.sip.twilio.com, backup.sip.twilio.com: every egress address as a /32.",
    );
    expect(String(json.output?.next_steps.value)).toContain(
      "IP Access Control List of acme.sip.twilio.com, backup.sip.twilio.com.",
    );
  });

  it.each([
    ["acme.sip.twilio.com", "acme.sip.twilio.com"],
    ["acme.sip.frankfurt.twilio.com", "acme.sip.twilio.com"],
    ["acme.sip.us1.twilio.com", "acme.sip.twilio.com"],
    ["sip.carrier.example", "sip.carrier.example"],
  ])("files %s under %s", (host, domain) => {
    expect(twilioSipDomainOf(host)).toBe(domain);
  });
});

// Who may start a call: behind the source-address check, the account lock (X-Twilio-AccountSid)
// and the optional digest challenge, with a real Kamailio and SIPp. Twilio's gateways are
// shared by all its customers, so these are what keeps another Twilio account out.
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { SIP_METRIC_FILTERS } from "../../constructs/monitoring";
import { LAB_SOURCE_AUTH_PASSWORD, SipLab } from "../../lab/harness";
import type { SippResult } from "../../lab/sipp";
import { cseqMethod, headerValues, kindOf, type SipMessage } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

const dev = environments.find((e) => e.name === "dev")!;
const OUR_ACCOUNT = "AC0123456789abcdef0123456789abcdef";
const OTHER_ACCOUNT = "ACfedcba9876543210fedcba9876543210";

const received = (r: SippResult) => r.messages.filter((m) => m.direction === "received");
const kinds = (messages: SipMessage[]) => messages.map((m) => `${kindOf(m)}/${cseqMethod(m)}`);
const callIdOf = (r: SippResult) => headerValues(r.messages[0], "Call-ID")[0];
const expectSuccess = (r: SippResult) =>
  expect({ exitCode: r.exitCode, errors: r.errors }).toEqual({ exitCode: 0, errors: "" });

beforeAll(() => {
  requireKamailioRoot();
  requireTool("sipp");
});

describe("account lock (sourceAccountSids)", () => {
  let lab: SipLab;
  beforeAll(async () => {
    lab = await SipLab.start(parseEnvironment({ ...dev, sourceAccountSids: [OUR_ACCOUNT] }));
  }, 30000);
  afterAll(async () => lab?.stop());

  it("relays an INVITE that carries the listed account", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-call.xml", { keys: { account_sid: OUR_ACCOUNT } });
    const callee = await uas.finish();
    expectSuccess(caller);
    expect(kinds(received(callee))).toEqual(["INVITE/INVITE", "ACK/ACK", "BYE/BYE"]);
  });

  it.each([
    ["no X-Twilio-AccountSid header", ""],
    ["another Twilio account", `X-Twilio-AccountSid: ${OTHER_ACCOUNT}`],
    [
      "two X-Twilio-AccountSid headers, the listed one first",
      `X-Twilio-AccountSid: ${OUR_ACCOUNT}\n      X-Twilio-AccountSid: ${OTHER_ACCOUNT}`,
    ],
    ["both accounts in one header", `X-Twilio-AccountSid: ${OUR_ACCOUNT}, ${OTHER_ACCOUNT}`],
    ["the listed account in capitals", `X-Twilio-AccountSid: ${OUR_ACCOUNT.toUpperCase()}`],
  ])("refuses an INVITE with %s: 403 reason=account, nothing reaches the destination", async (_, headers) => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-account.xml", { vars: { account_headers: headers, expect: "403" } });
    const callee = await uas.stop();
    expectSuccess(caller);
    expect(received(callee)).toEqual([]);
    const lines = lab.siplog(callIdOf(caller));
    expect(lines).toContainEqual(
      expect.stringMatching(/^SIPLOG event=reply code=403 method=INVITE .* origin=proxy reason=account$/),
    );
    expect(lines.filter((l) => SIP_METRIC_FILTERS.RejectedAccounts403.every((t) => l.includes(t)))).toHaveLength(1);
    expect(lines.filter((l) => SIP_METRIC_FILTERS.RejectedSources403.every((t) => l.includes(t)))).toHaveLength(0);
  });
});

describe('account lock off (sourceAccountSids: "any")', () => {
  let lab: SipLab;
  beforeAll(async () => {
    lab = await SipLab.start(parseEnvironment({ ...dev, sourceAccountSids: "any" }));
  }, 30000);
  afterAll(async () => lab?.stop());

  it("relays an INVITE from Twilio's ranges whatever its account header says", async () => {
    const uas = await lab.destinationPeer("uas-reject.xml", { vars: { code: "486", reason: "Busy Here" } });
    const caller = await lab.call("uac-account.xml", { vars: { account_headers: "", expect: "486" } });
    const callee = await uas.finish();
    expectSuccess(caller);
    expect(received(callee).map(kindOf)).toEqual(["INVITE", "ACK"]);
  });
});

describe("digest authentication (sourceAuth)", () => {
  const cfg = parseEnvironment({
    ...dev,
    sourceAccountSids: [OUR_ACCOUNT],
    sourceAuth: { username: "twilio-source", passwordParameter: "/sip-proxy/dev/source-auth-password" },
  });
  const credentials = (password: string) => ({ auth_user: "twilio-source", auth_password: password });
  let lab: SipLab;
  /** Another instance of the same environment (same SSM parameter, so the same nonce secret). */
  let twin: SipLab;
  /** An instance whose nonce secret differs: the control for the shared secret. */
  let stranger: SipLab;

  beforeAll(async () => {
    lab = await SipLab.start(cfg);
    twin = await SipLab.start(cfg);
    stranger = await SipLab.start(cfg, { sourceAuthNonceSecret: "0123456789abcdef0123456789abcdef" });
  }, 40000);
  afterAll(async () => {
    await Promise.all([lab, twin, stranger].map((l) => l?.stop()));
  });

  it("challenges with 407, absorbs the ACK for it, and relays the INVITE that answers with the right credentials", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-auth-call.xml", {
      keys: { account_sid: OUR_ACCOUNT },
      vars: {
        ...credentials(LAB_SOURCE_AUTH_PASSWORD),
        retry_host: lab.proxy.host,
        retry_port: String(lab.proxy.port),
      },
    });
    const callee = await uas.finish();
    expectSuccess(caller);
    // The destination sees one INVITE (the authenticated one), without the credentials,
    // and no ACK of the 407.
    expect(kinds(received(callee))).toEqual(["INVITE/INVITE", "ACK/ACK", "BYE/BYE"]);
    const invite = received(callee)[0];
    expect(headerValues(invite, "CSeq")).toEqual(["2 INVITE"]);
    expect(headerValues(invite, "Proxy-Authorization")).toEqual([]);
    const challenge = received(caller).find((m) => kindOf(m) === "407")!;
    expect(headerValues(challenge, "Proxy-Authenticate")[0]).toMatch(/^Digest realm="sip-proxy-dev", nonce="/);
    const lines = lab.siplog(callIdOf(caller));
    expect(lines).toContainEqual(expect.stringMatching(/^SIPLOG event=reply code=407 method=INVITE .*origin=proxy$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^SIPLOG event=reply code=200 method=INVITE .*origin=destination$/),
    );
    expect(lab.kamailioLog()).not.toMatch(/ERROR/);
  });

  it("refuses wrong credentials with 403 reason=auth after the challenge", async () => {
    const uas = await lab.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-auth-refused.xml", {
      keys: { account_sid: OUR_ACCOUNT },
      vars: {
        ...credentials("not-the-password"),
        retry_host: lab.proxy.host,
        retry_port: String(lab.proxy.port),
        expect: "403",
      },
    });
    const callee = await uas.stop();
    expectSuccess(caller);
    expect(received(callee)).toEqual([]);
    const lines = lab.siplog(callIdOf(caller));
    expect(lines).toContainEqual(expect.stringMatching(/^SIPLOG event=reply code=403 method=INVITE .* reason=auth$/));
    expect(lines.filter((l) => SIP_METRIC_FILTERS.RejectedAuth403.every((t) => l.includes(t)))).toHaveLength(1);
  });

  it("checks the account before the password: another account gets 403 reason=account and no challenge", async () => {
    const caller = await lab.call("uac-account.xml", {
      vars: { account_headers: `X-Twilio-AccountSid: ${OTHER_ACCOUNT}`, expect: "403" },
    });
    expectSuccess(caller);
    expect(received(caller).map(kindOf)).not.toContain("407");
    expect(lab.siplog(callIdOf(caller))).toContainEqual(expect.stringMatching(/ reason=account$/));
  });

  it("verifies a challenge issued by one instance on another instance of the environment", async () => {
    const uas = await twin.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-auth-call.xml", {
      keys: { account_sid: OUR_ACCOUNT },
      vars: {
        ...credentials(LAB_SOURCE_AUTH_PASSWORD),
        retry_host: twin.proxy.host,
        retry_port: String(twin.proxy.port),
      },
    });
    const callee = await uas.finish();
    expectSuccess(caller);
    expect(kinds(received(callee))).toEqual(["INVITE/INVITE", "ACK/ACK", "BYE/BYE"]);
  });

  it("(control) does not verify it on an instance with another nonce secret", async () => {
    const uas = await stranger.destinationPeer("uas-answer.xml");
    const caller = await lab.call("uac-auth-refused.xml", {
      keys: { account_sid: OUR_ACCOUNT },
      vars: {
        ...credentials(LAB_SOURCE_AUTH_PASSWORD),
        retry_host: stranger.proxy.host,
        retry_port: String(stranger.proxy.port),
        expect: "403",
      },
    });
    const callee = await uas.stop();
    expectSuccess(caller);
    expect(received(callee)).toEqual([]);
    expect(stranger.siplog(callIdOf(caller))).toContainEqual(expect.stringMatching(/ reason=auth$/));
  });
});

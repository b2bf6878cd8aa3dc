// `npm run lab -- <env>` places its call over the environment's own destination transport
// (it once tested UDP for a TLS environment and reported success). The command runs as an
// operator runs it, against environments that differ only in sip.destinationTransport
// (lab-environments.ts), each call through a real Kamailio to a destination on loopback.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(60000);

const PROJECT = join(__dirname, "..", "..");

function lab(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", join(PROJECT, "scripts/lab.ts"), ...args], {
    cwd: PROJECT,
    encoding: "utf8",
    timeout: 50000,
    env: { ...process.env, SIP_PROXY_ENVIRONMENTS: join(__dirname, "lab-environments.ts") },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("npm run lab", () => {
  beforeAll(() => {
    requireKamailioRoot();
    requireTool("sipp");
    requireTool("openssl");
  });

  it.each([
    ["dev", "udp"],
    ["devtcp", "tcp"],
    ["devtls", "tls"],
  ])("calls %s's destination over its sip.destinationTransport (%s)", (env, transport) => {
    const { status, output } = lab(env);
    expect({ status, end: output.trimEnd().split("\n").slice(-2) }).toEqual({
      status: 0,
      end: [`destination got the INVITE over ${transport.toUpperCase()}`, "call completed through the proxy"],
    });
    expect(output).toContain(`the proxy relays it over ${transport.toUpperCase()} (sip.destinationTransport)`);
    expect(output).toMatch(/caller saw: 200 INVITE, 200 BYE/);
    // The caller's ACK and BYE pass the proxy once each (never via its own advertised address).
    const requests = output.split("\n").filter((l) => /^\s+SIPLOG event=request method=(ACK|BYE) /.test(l));
    expect(requests.map((l) => /method=(\w+)/.exec(l)![1])).toEqual(["ACK", "BYE"]);
  });

  it("takes --transport as the caller's leg only: TCP to the proxy, the environment's UDP beyond", () => {
    const { status, output } = lab("dev", "--transport", "tcp");
    expect(status).toBe(0);
    expect(output).toContain("placing one call from 127.0.0.2 over TCP; the proxy relays it over UDP");
    expect(output).toContain("destination got the INVITE over UDP");
  });

  it("refuses a transport the caller leg cannot take, in one line with exit 2", () => {
    const { status, output } = lab("devtls", "--transport", "tls");
    expect(status).toBe(2);
    expect(output.trim().split("\n")).toEqual(['npm run lab: --transport must be udp or tcp, not "tls" (see --help)']);
  });
});

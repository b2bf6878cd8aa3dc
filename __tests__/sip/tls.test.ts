// TLS towards the destination with a real Kamailio (its tls module) and a TLS destination
// on loopback. SIPp here is built without TLS, so the destination is lab/tls.ts.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { SipLab } from "../../lab/harness";
import { createLabTls, startTlsDestination, type LabTls, type TlsDestination } from "../../lab/tls";
import { fromTag, headerValues, kindOf } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

jest.setTimeout(30000);

const TLS_MODULE = "usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so";

describe("TLS towards the destination", () => {
  const cfg = parseEnvironment(environments.find((e) => e.name === "dev"));
  let tls: LabTls;
  let lab: SipLab;
  let destination: TlsDestination;

  beforeAll(async () => {
    const root = requireKamailioRoot();
    requireTool("sipp");
    requireTool("openssl");
    if (!existsSync(join(root, TLS_MODULE))) {
      throw new Error(`the Kamailio root ${root} lacks the TLS module: delete it and run \`npm run roots\``);
    }
    tls = createLabTls();
    lab = await SipLab.start(cfg, { destinationTransport: "tls", tlsConfigFile: tls.kamailioConfig });
    destination = await startTlsDestination(lab.destination, tls, 486, "Busy Here");
  }, 30000);

  afterAll(async () => {
    await destination?.close();
    await lab?.stop();
    tls?.cleanup();
  });

  it("relays a UDP caller's INVITE over TLS, with a Record-Route for each side, and brings the reply back", async () => {
    const caller = await lab.call("uac-rejected.xml", { vars: { expect: "486", max_forwards: "70" } });
    expect({ exitCode: caller.exitCode, errors: caller.errors }).toEqual({ exitCode: 0, errors: "" });
    expect(caller.messages.filter((m) => m.direction === "received").map(kindOf)).toContain("486");

    const invite = destination.received.find((m) => m.startsWith("INVITE "))!;
    expect(invite.split("\r\n")[0]).toBe(`INVITE sip:1000@127.0.0.1:${lab.destination.port};transport=tls SIP/2.0`);
    expect(headerValues(invite, "Via")[0]).toMatch(/^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;branch=/);
    const routes = headerValues(invite, "Record-Route").flatMap((v) => v.split(/,\s*/));
    expect(routes).toHaveLength(2);
    const ftag = fromTag(invite);
    expect(routes[0]).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:\\d+;transport=tls;r2=on;ftag=${ftag};lr>$`));
    expect(routes[1]).toBe(`<sip:127.0.0.1:${lab.proxy.port};r2=on;ftag=${ftag};lr>`);
    // The proxy's ACK for the 486 goes back over the same TLS connection.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(destination.received.some((m) => m.startsWith("ACK "))).toBe(true);
  });
});

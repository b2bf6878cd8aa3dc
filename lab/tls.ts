// TLS for the lab: throwaway certificates, Kamailio's tls.cfg, and a minimal TLS
// destination (SIPp here is built without TLS) that answers every INVITE with a final code.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Endpoint } from "./config";
import type { SipMessage } from "./trace";

export interface LabTls {
  readonly dir: string;
  /** Kamailio's tls.cfg: its own certificate, and the destination's as the only trusted CA. */
  readonly kamailioConfig: string;
  readonly destinationKey: string;
  readonly destinationCert: string;
  cleanup(): void;
}

/**
 * A throwaway self-signed certificate (a day) for `name`, valid for `subjectAltName`. A peer
 * trusts it by listing the certificate itself as a CA.
 */
export function selfSigned(dir: string, name: string, subjectAltName = "IP:127.0.0.1"): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-addext",
      `subjectAltName=${subjectAltName}`,
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { key, cert };
}

export function createLabTls(): LabTls {
  const dir = mkdtempSync(join(tmpdir(), "lab-tls-"));
  const proxy = selfSigned(dir, "proxy");
  const destination = selfSigned(dir, "destination");
  const kamailioConfig = join(dir, "tls.cfg");
  writeFileSync(
    kamailioConfig,
    [
      "[server:default]",
      "method = TLSv1.2+",
      `certificate = ${proxy.cert}`,
      `private_key = ${proxy.key}`,
      "",
      "[client:default]",
      "method = TLSv1.2+",
      "verify_certificate = yes",
      "require_certificate = yes",
      `ca_list = ${destination.cert}`,
      "",
    ].join("\n"),
  );
  return {
    dir,
    kamailioConfig,
    destinationKey: destination.key,
    destinationCert: destination.cert,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsDestination {
  /** Every SIP message received, in order. */
  readonly received: string[];
  /** Every SIP message received and sent, with its time, as lab/trace.ts reads SIPp's traces. */
  readonly messages: SipMessage[];
  close(): Promise<void>;
}

const header = (message: string, name: string) =>
  message.split("\r\n").filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));

/**
 * How the TLS destination answers: every INVITE with a final error (`code reason`, e.g. 486
 * Busy Here), or "answer": like lab/scenarios/uas-answer.xml, 180 then 200 with the
 * Record-Route echoed and a Contact on this TLS endpoint, the ACK taken, a BYE answered 200.
 */
export type TlsDestinationBehaviour = { readonly code: number; readonly reason: string } | "answer";

/** A TLS SIP endpoint on `at` (SIPp here is built without TLS). */
export async function startTlsDestination(
  at: Endpoint,
  tls: LabTls,
  code: number,
  reason: string,
): Promise<TlsDestination>;
export async function startTlsDestination(
  at: Endpoint,
  tls: LabTls,
  behaviour: TlsDestinationBehaviour,
): Promise<TlsDestination>;
export async function startTlsDestination(
  at: Endpoint,
  tls: LabTls,
  codeOrBehaviour: number | TlsDestinationBehaviour,
  reason?: string,
): Promise<TlsDestination> {
  const behaviour: TlsDestinationBehaviour =
    typeof codeOrBehaviour === "number" ? { code: codeOrBehaviour, reason: reason ?? "" } : codeOrBehaviour;
  const received: string[] = [];
  const messages: SipMessage[] = [];
  const record = (direction: SipMessage["direction"], text: string) =>
    messages.push({
      time: performance.timeOrigin + performance.now(),
      direction,
      transport: "TLS",
      text,
      startLine: text.split("\r\n")[0],
    });
  const sockets = new Set<TLSSocket>();
  const reply = (request: string, status: string, extra: readonly string[] = [], body = "") =>
    [
      `SIP/2.0 ${status}`,
      ...header(request, "Via"),
      ...extra,
      ...header(request, "From"),
      /;tag=/.test(header(request, "To")[0] ?? "")
        ? header(request, "To")[0]
        : `${header(request, "To")[0]};tag=tls-destination`,
      ...header(request, "Call-ID"),
      ...header(request, "CSeq"),
      ...(body ? ["Content-Type: application/sdp"] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      "",
      body,
    ].join("\r\n");
  const answers = (request: string): string[] => {
    if (behaviour !== "answer") {
      return request.startsWith("INVITE ") ? [reply(request, `${behaviour.code} ${behaviour.reason}`)] : [];
    }
    if (request.startsWith("INVITE ")) {
      const dialog = [...header(request, "Record-Route"), `Contact: <sip:callee@${at.host}:${at.port};transport=tls>`];
      const sdp = [
        "v=0",
        `o=callee 53655765 2353687637 IN IP4 ${at.host}`,
        "s=-",
        `c=IN IP4 ${at.host}`,
        "t=0 0",
        "m=audio 6000 RTP/AVP 0",
        "a=rtpmap:0 PCMU/8000",
        "",
      ].join("\r\n");
      return [reply(request, "180 Ringing", dialog), reply(request, "200 OK", dialog, sdp)];
    }
    if (request.startsWith("BYE ")) return [reply(request, "200 OK")];
    return [];
  };
  const server: Server = createServer(
    { key: readFileSync(tls.destinationKey), cert: readFileSync(tls.destinationCert) },
    (socket: TLSSocket) => {
      let buffer = "";
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
      socket.on("data", (data) => {
        buffer += data.toString();
        for (let end = buffer.indexOf("\r\n\r\n"); end >= 0; end = buffer.indexOf("\r\n\r\n")) {
          const head = buffer.slice(0, end + 4);
          const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
          if (buffer.length < head.length + length) break;
          const message = buffer.slice(0, head.length + length);
          buffer = buffer.slice(head.length + length);
          received.push(message);
          record("received", message);
          for (const answer of answers(message)) {
            record("sent", answer);
            socket.write(answer);
          }
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(at.port, at.host, resolve));
  return {
    received,
    messages,
    // Kamailio keeps its TLS connection open; end it so that the server can close.
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

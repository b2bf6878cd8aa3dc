// TLS for the lab: throwaway certificates, Kamailio's tls.cfg, and a minimal TLS
// destination (SIPp here is built without TLS) that answers every INVITE with a final code.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Endpoint } from "./config";

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
  close(): Promise<void>;
}

const header = (message: string, name: string) =>
  message.split("\r\n").filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));

/** A TLS SIP endpoint that answers each INVITE with `code reason` (e.g. 486 Busy Here). */
export async function startTlsDestination(
  at: Endpoint,
  tls: LabTls,
  code: number,
  reason: string,
): Promise<TlsDestination> {
  const received: string[] = [];
  const sockets = new Set<TLSSocket>();
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
          if (message.startsWith("INVITE ")) {
            const to = header(message, "To")[0];
            socket.write(
              [
                `SIP/2.0 ${code} ${reason}`,
                ...header(message, "Via"),
                ...header(message, "From"),
                `${to};tag=tls-destination`,
                ...header(message, "Call-ID"),
                ...header(message, "CSeq"),
                "Content-Length: 0",
                "",
                "",
              ].join("\r\n"),
            );
          }
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(at.port, at.host, resolve));
  return {
    received,
    // Kamailio keeps its TLS connection open; end it so that the server can close.
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// Port helpers for loopback labs: free ports and "is anything bound there yet".
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { Endpoint } from "./config";

/** A port free for both UDP and TCP on `host` right now (SIP listens on both). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket("udp4");
    await new Promise<void>((resolve) => udp.bind(0, host, resolve));
    const { port } = udp.address();
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpFree) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${host}`);
}

function hexEndpoint({ host, port }: Endpoint): string {
  const ip = host
    .split(".")
    .map((n) => Number(n).toString(16).padStart(2, "0"))
    .reverse()
    .join("")
    .toUpperCase();
  return `${ip}:${port.toString(16).padStart(4, "0").toUpperCase()}`;
}

/**
 * True when something has bound (UDP) or listens on (TCP) the endpoint. `procNet` picks the
 * network namespace: `/proc/<pid>/net` is the table of the namespace that process is in.
 */
export function isBound(transport: "udp" | "tcp", endpoint: Endpoint, procNet = "/proc/net"): boolean {
  const table = readFileSync(`${procNet}/${transport}`, "utf8");
  const wanted = hexEndpoint(endpoint);
  const any = `00000000:${wanted.split(":")[1]}`;
  return table
    .split("\n")
    .slice(1)
    .some((line) => {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const listening = transport === "udp" || cols[3] === "0A";
      return listening && (local === wanted || local === any);
    });
}

export async function waitForSocket(
  transport: "udp" | "tcp",
  endpoint: Endpoint,
  timeoutMs: number,
  procNet?: string,
): Promise<void> {
  const started = Date.now();
  while (!isBound(transport, endpoint, procNet)) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`nothing bound to ${transport} ${endpoint.host}:${endpoint.port} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

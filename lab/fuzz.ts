// Malformed SIP for robustness tests: mutations of a valid INVITE and plain garbage, from a
// seeded generator so that a failure can be replayed.
import { Socket, createConnection } from "node:net";
import { createSocket } from "node:dgram";
import type { Endpoint } from "./config";

/** mulberry32: small, fast, good enough to pick mutations reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function validInvite(n: number): string {
  return [
    `INVITE sip:100${n % 10}@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.2:5999;branch=z9hG4bK-fuzz-${n}`,
    "Max-Forwards: 70",
    `From: <sip:fuzz@127.0.0.2>;tag=f${n}`,
    "To: <sip:1000@127.0.0.1>",
    `Call-ID: fuzz-${n}@127.0.0.2`,
    "CSeq: 1 INVITE",
    "Contact: <sip:fuzz@127.0.0.2:5999>",
    "Content-Type: application/sdp",
    "Content-Length: 24",
    "",
    "v=0\r\no=- 1 1 IN IP4 x\r\n",
  ].join("\r\n");
}

type Mutation = (msg: string, rnd: () => number) => string | Buffer;
const pick = <T>(items: readonly T[], rnd: () => number) => items[Math.floor(rnd() * items.length)];

const MUTATIONS: readonly Mutation[] = [
  // Random bytes of random length.
  (_m, rnd) => Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 1400) }, () => Math.floor(rnd() * 256))),
  // Truncated anywhere.
  (m, rnd) => m.slice(0, Math.floor(rnd() * m.length)),
  // Flipped bytes.
  (m, rnd) => {
    const b = Buffer.from(m);
    for (let i = 0; i < 1 + rnd() * 20; i++) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
    return b;
  },
  // Lying Content-Length.
  (m, rnd) => m.replace("Content-Length: 24", `Content-Length: ${pick(["-1", "99999999", "abc", "24 24", ""], rnd)}`),
  // Broken start line.
  (m, rnd) =>
    m.replace(
      /^INVITE [^\r]*/,
      pick(["INVITE", "INVITE  SIP/2.0", "INVITE sip: SIP/3.0", "\u0000\u0001", "SIP/2.0 200"], rnd),
    ),
  // Header without colon, empty header name, header folding gone wrong.
  (m, rnd) =>
    m.replace(
      "Max-Forwards: 70",
      pick(["Max-Forwards 70", ": 70", "Max-Forwards: \r\n 70\r\n\r\n", "Max-Forwards: -5"], rnd),
    ),
  // Missing mandatory headers.
  (m, rnd) => m.replace(new RegExp(`^${pick(["Via", "From", "To", "Call-ID", "CSeq"], rnd)}:[^\r]*\r\n`, "m"), ""),
  // Absurd values.
  (m, rnd) =>
    m.replace("CSeq: 1 INVITE", pick(["CSeq: 99999999999999999999 INVITE", "CSeq: 1 BYE", "CSeq: x", "CSeq:"], rnd)),
  // Very long header.
  (m, rnd) =>
    m.replace("To: <sip:1000@127.0.0.1>", `To: <sip:${"9".repeat(200 + Math.floor(rnd() * 3000))}@127.0.0.1>`),
  // Many Via headers.
  (m) => m.replace(/^Via:[^\r]*\r\n/m, (via) => via.repeat(60)),
  // Null bytes and non-UTF-8 in the middle.
  (m, rnd) => {
    const at = Math.floor(rnd() * m.length);
    return Buffer.concat([Buffer.from(m.slice(0, at)), Buffer.from([0, 0xff, 0xfe, 0]), Buffer.from(m.slice(at))]);
  },
];

/** `count` malformed datagrams, deterministic for a seed. */
export function malformedMessages(count: number, seed = 979): Buffer[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: count }, (_, n) => {
    const out = pick(MUTATIONS, rnd)(validInvite(n), rnd);
    return Buffer.isBuffer(out) ? out : Buffer.from(out);
  });
}

/** Sends datagrams from `from`, a few at a time so the kernel buffer does not drop them. */
export async function sendDatagrams(messages: Buffer[], to: Endpoint, from: string): Promise<void> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  try {
    for (const [i, message] of messages.entries()) {
      await new Promise<void>((resolve) => socket.send(message, to.port, to.host, () => resolve()));
      if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    socket.close();
  }
}

/** Opens a TCP connection, writes the chunks, and closes (or abandons) it. */
export async function brokenTcpStream(chunks: Buffer[], to: Endpoint, from: string, abandon = false): Promise<void> {
  const socket: Socket = createConnection({ host: to.host, port: to.port, localAddress: from });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
  for (const chunk of chunks) await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
  if (abandon) socket.destroy();
  else await new Promise<void>((resolve) => socket.end(() => resolve()));
}

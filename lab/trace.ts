// Parsing SIPp's message trace (-trace_msg): every message a peer sent or received, with
// its time, so tests can assert on what each side actually saw.

export interface SipMessage {
  /** Milliseconds since the epoch (fractional), from SIPp's trace. */
  readonly time: number;
  readonly direction: "sent" | "received";
  readonly transport: string;
  readonly text: string;
  /** "INVITE sip:1000@127.0.0.1:5070 SIP/2.0" or "SIP/2.0 200 OK". */
  readonly startLine: string;
}

const SEPARATOR =
  /^-{20,} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d+)\n(\w+) message (sent|received) (?:\[\d+\] bytes :|\(\d+ bytes\):)\n\n/gm;

export function parseSippTrace(trace: string): SipMessage[] {
  const heads = [...trace.matchAll(SEPARATOR)];
  return heads.map((head, i) => {
    const start = head.index! + head[0].length;
    const end = i + 1 < heads.length ? heads[i + 1].index! : trace.length;
    const text = trace.slice(start, end).replace(/\n+$/, "\n").replace(/\r?\n/g, "\r\n");
    return {
      // Microsecond resolution: a proxy relays within the same millisecond.
      time: Date.parse(`${head[1]}T${head[2].slice(0, 8)}`) + Number(`0.${head[2].slice(9)}`) * 1000,
      direction: head[4] as "sent" | "received",
      transport: head[3],
      text,
      startLine: text.split("\r\n")[0],
    };
  });
}

/** Values of a header (case-insensitive, compact forms not expanded), in order; folded lists split. */
export function headerValues(message: SipMessage | string, name: string): string[] {
  const text = typeof message === "string" ? message : message.text;
  const head = text.split("\r\n\r\n")[0];
  const lower = name.toLowerCase();
  return head
    .split("\r\n")
    .slice(1)
    .filter((line) => line.toLowerCase().startsWith(`${lower}:`))
    .map((line) => line.slice(line.indexOf(":") + 1).trim());
}

export function bodyOf(message: SipMessage): string {
  const at = message.text.indexOf("\r\n\r\n");
  return at < 0 ? "" : message.text.slice(at + 4);
}

/** Method of a request, or "<code>" of a response, e.g. "INVITE", "200". */
export function kindOf(message: SipMessage): string {
  const line = message.startLine;
  return line.startsWith("SIP/2.0 ") ? line.split(" ")[1] : line.split(" ")[0];
}

export function cseqMethod(message: SipMessage): string {
  return (headerValues(message, "CSeq")[0] ?? "").split(/\s+/)[1] ?? "";
}

/** The From header's tag: what the proxy's Record-Route carries as `ftag` (the dialog's caller). */
export function fromTag(message: SipMessage | string): string {
  return /;tag=([^;>\s]+)/.exec(headerValues(message, "From")[0] ?? "")?.[1] ?? "";
}

// A short SIP ladder from the two SIPp peers' traces: who sent what to whom, in time order.
import type { Endpoint } from "./config";
import { kindOf, type SipMessage } from "./trace";

export interface LadderInput {
  readonly caller: SipMessage[];
  readonly destination: SipMessage[];
  readonly proxy: Endpoint;
  readonly destinationEndpoint: Endpoint;
  readonly callerIp: string;
}

interface Step {
  readonly time: number;
  readonly from: 0 | 1 | 2;
  readonly to: 0 | 1 | 2;
  readonly label: string;
}

const WIDTH = 44;

function label(m: SipMessage): string {
  const line = m.startLine;
  if (line.startsWith("SIP/2.0 ")) return line.slice("SIP/2.0 ".length);
  const [method, uri] = line.split(" ");
  return `${method} ${uri}`;
}

function arrow(step: Step): string {
  const line: string[] = Array.from({ length: 2 * WIDTH + 1 }, (_, i) => (i % WIDTH === 0 ? "|" : " "));
  const a = Math.min(step.from, step.to) * WIDTH;
  const b = Math.max(step.from, step.to) * WIDTH;
  const room = b - a - 6;
  const text = step.label.length > room ? `${step.label.slice(0, room - 3)}...` : step.label;
  const segment =
    step.from < step.to ? `- ${text} `.padEnd(b - a - 2, "-") + ">" : `<- ${text} `.padEnd(b - a - 1, "-");
  for (let i = 0; i < segment.length; i++) line[a + 1 + i] = segment[i];
  return line.join("");
}

/** Renders the exchange; messages seen by both the caller's and destination's side. */
export function renderLadder(input: LadderInput): string {
  const steps: Step[] = [
    ...input.caller.map((m) => ({
      time: m.time,
      from: m.direction === "sent" ? 0 : 1,
      to: m.direction === "sent" ? 1 : 0,
      label: label(m),
    })),
    ...input.destination.map((m) => ({
      time: m.time,
      from: m.direction === "sent" ? 2 : 1,
      to: m.direction === "sent" ? 1 : 2,
      label: label(m),
    })),
  ].sort((a, b) => a.time - b.time) as Step[];

  const header = [
    `caller ${input.callerIp}`.padEnd(WIDTH),
    `proxy ${input.proxy.host}:${input.proxy.port}`.padEnd(WIDTH),
    `destination ${input.destinationEndpoint.host}:${input.destinationEndpoint.port}`,
  ].join("");
  return [header, ...steps.map(arrow)].join("\n");
}

/** Final reply codes the caller received, e.g. ["200 INVITE", "200 BYE"]. */
export function callerOutcome(messages: SipMessage[]): string[] {
  return messages
    .filter((m) => m.direction === "received" && m.startLine.startsWith("SIP/2.0 ") && Number(kindOf(m)) >= 200)
    .map((m) => `${kindOf(m)} ${m.text.match(/^CSeq:\s*\d+\s+(\w+)/im)?.[1] ?? ""}`.trim());
}

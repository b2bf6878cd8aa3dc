// A SIP ladder of one call through the network twin, with the source address each party saw
// at each hop: what `npm run twin` prints. Pure: it reads the two SIPp peers' message traces
// and the Kamailio logs the twin already keeps (the proxies' `SIPLOG` lines, the edges'
// `EDGE` lines), correlated by Call-ID, and names addresses with the twin's address map.
//
// Where each fact comes from:
// - a request's source as an instance saw it: `SIPLOG event=request ... src=ip:port` of the
//   instance whose log has it (matched by Call-ID, method and the Request-URI's host and port,
//   `ruri_host=`, so direction is known; SIPLOG keeps no URI user part, the dialled number);
// - a request's source as an edge saw it: `EDGE event=admitted|refused ... src=ip:port` of the
//   edge in front of the receiving SIPp (its own SIPp's requests are not logged);
// - a final reply's source as an instance saw it: `SIPLOG event=reply ... src=ip` (no port);
// - where an edge sent a reply on towards the proxy: the proxy's Via in the reply the SIPp
//   peer sent, with the `received`/`rport` the edge put there (RFC 3261 18.2.2, RFC 3581);
//   the edges log no replies, so what they saw as a reply's source is not shown.
import { headerValues, type SipMessage } from "../trace";
import { TWIN_ADDRESSES, type TwinArchitecture } from "./network";

/** Names by endpoint ("54.244.51.1:5070") or address ("203.0.113.20"); the endpoint wins. */
export type PartyNames = Readonly<Record<string, string>>;

/** The twin's address map as names: edges, the AWS side's public addresses, the instances. */
export function twinPartyNames(architecture: TwinArchitecture, instances: readonly string[]): PartyNames {
  const names: Record<string, string> = {
    [TWIN_ADDRESSES.sourceEdge]: "source edge",
    [TWIN_ADDRESSES.destinationEdge]: "destination edge",
  };
  if (architecture === "single") names[TWIN_ADDRESSES.elasticIp] = "Elastic IP";
  else Object.assign(names, { [TWIN_ADDRESSES.nlb]: "NLB", [TWIN_ADDRESSES.nat]: "NAT gateway" });
  for (const ip of instances) names[ip] = `instance ${ip}`;
  return names;
}

export interface TwinCall {
  /** What the call shows, e.g. "the caller hangs up". */
  readonly title: string;
  /** The SIPp caller's and callee's message traces (SippResult.messages). */
  readonly caller: readonly SipMessage[];
  readonly callee: readonly SipMessage[];
  /** The edge address the caller sends through and the one in front of the callee. */
  readonly callerEdge: string;
  readonly calleeEdge: string;
}

export interface TwinLogs {
  /** Each instance's private address and its Kamailio log. */
  readonly proxies: readonly { readonly privateIp: string; readonly log: string }[];
  /** Each edge's address and its Kamailio log. */
  readonly edges: readonly { readonly address: string; readonly log: string }[];
}

// ---- log lines ----

interface ProxyLine {
  readonly instance: string;
  readonly fields: Readonly<Record<string, string>>;
}

interface EdgeLine {
  readonly edge: string;
  readonly event: string;
  readonly method: string;
  readonly src: string;
  readonly callId: string;
}

const keyValues = (text: string) => Object.fromEntries([...text.matchAll(/(\w+)=(\S*)/g)].map(([, k, v]) => [k, v]));

function proxyLines(logs: TwinLogs, callId: string): ProxyLine[] {
  return logs.proxies.flatMap(({ privateIp, log }) =>
    [...log.matchAll(/SIPLOG (.*)$/gm)]
      .map(([, rest]) => ({ instance: privateIp, fields: keyValues(rest) }))
      .filter((l) => l.fields.callid === callId),
  );
}

function edgeLines(logs: TwinLogs, callId: string): EdgeLine[] {
  return logs.edges.flatMap(({ address, log }) =>
    [...log.matchAll(/EDGE (.*)$/gm)]
      .map(([, rest]) => keyValues(rest))
      .filter((f) => f.callid === callId && f.event && f.method && f.src)
      .map((f) => ({ edge: address, event: f.event, method: f.method, src: f.src, callId: f.callid })),
  );
}

// ---- SIP messages ----

type Side = "caller" | "callee";

/** One message as it travelled end to end (or as far as it got), first copy only. */
interface Travel {
  readonly kind: string;
  readonly label: string;
  readonly cseq: string;
  readonly time: number;
  /** Who sent it; "hop" when neither SIPp did (a 100 Trying, a proxy's or edge's own reply). */
  readonly from: Side | "hop";
  readonly to: Side;
  readonly sent?: SipMessage;
  readonly received?: SipMessage;
  readonly copies: number;
}

const isReply = (m: SipMessage) => m.startLine.startsWith("SIP/2.0 ");
const kind = (m: SipMessage) => (isReply(m) ? m.startLine.split(" ")[1] : m.startLine.split(" ")[0]);
const cseq = (m: SipMessage) => (headerValues(m, "CSeq")[0] ?? "").replace(/\s+/g, " ");
// Requests are rewritten on the way (the proxy sets the Request-URI): match by kind and CSeq.
const keyOf = (m: SipMessage) => `${kind(m)}|${cseq(m)}`;
const other = (side: Side): Side => (side === "caller" ? "callee" : "caller");

function labelOf(m: SipMessage): string {
  if (!isReply(m)) return kind(m);
  // Kamailio's "100 trying -- your call is important to us" and the like, cut short.
  const text = m.startLine.slice("SIP/2.0 ".length).split(" -- ")[0];
  const reason = text.length > 24 ? `${text.slice(0, 21)}...` : text;
  return `${reason} (${cseq(m).split(" ")[1] ?? "?"})`;
}

function travels(call: TwinCall): Travel[] {
  const byKey = new Map<string, Travel>();
  const order: string[] = [];
  const sides: [Side, readonly SipMessage[]][] = [
    ["caller", call.caller],
    ["callee", call.callee],
  ];
  for (const [side, messages] of sides) {
    for (const m of messages.filter((x) => x.direction === "sent")) {
      const key = `${side}|${keyOf(m)}`;
      const seen = byKey.get(key);
      if (seen) byKey.set(key, { ...seen, copies: seen.copies + 1 });
      else {
        order.push(key);
        const t = { kind: kind(m), label: labelOf(m), cseq: cseq(m), time: m.time, from: side, to: other(side) };
        byKey.set(key, { ...t, sent: m, copies: 1 });
      }
    }
  }
  for (const [side, messages] of sides) {
    for (const m of messages.filter((x) => x.direction === "received")) {
      const key = `${other(side)}|${keyOf(m)}`;
      const seen = byKey.get(key) ?? byKey.get(`hop|${side}|${keyOf(m)}`);
      if (seen) {
        if (!seen.received) byKey.set(seen.from === "hop" ? `hop|${side}|${keyOf(m)}` : key, { ...seen, received: m });
        continue;
      }
      const hopKey = `hop|${side}|${keyOf(m)}`;
      order.push(hopKey);
      byKey.set(hopKey, {
        kind: kind(m),
        label: labelOf(m),
        cseq: cseq(m),
        time: m.time,
        from: "hop",
        to: side,
        received: m,
        copies: 1,
      });
    }
  }
  // One clock for the order: two SIPp processes stamp their traces a little apart (a reply the
  // caller received can carry an earlier time than the callee's "sent"), so every message the
  // caller saw is placed by the caller's trace, the others by the callee's.
  const callerTime = (t: Travel) =>
    t.from === "caller" ? t.sent!.time : t.to === "caller" && t.received ? t.received.time : t.time;
  return order
    .map((k) => byKey.get(k)!)
    .map((t) => ({ ...t, time: callerTime(t) }))
    .sort((a, b) => a.time - b.time);
}

/** host:port of a SIP URI in `text` (`<sip:user@host:port;params>` or a bare URI). */
function uriEndpoint(text: string, defaultPort = 5060): string {
  const match = /sips?:(?:[^@;>\s]+@)?([^;>\s]+)/.exec(text);
  if (!match) return "";
  return match[1].includes(":") ? match[1] : `${match[1]}:${defaultPort}`;
}

function routeSet(m: SipMessage): string[] {
  return headerValues(m, "Route").flatMap((v) => [...v.matchAll(/<([^>]+)>/g)].map(([, uri]) => uriEndpoint(uri)));
}

function vias(m: SipMessage): string[] {
  return headerValues(m, "Via").flatMap((v) => v.split(/,\s*(?=SIP\/2\.0\/)/));
}

/** Where a reply to this Via goes (RFC 3261 18.2.2 with RFC 3581): received/rport when present. */
function viaTarget(via: string): string {
  const sentBy = /^SIP\/2\.0\/\w+\s+([^;\s]+)/.exec(via)?.[1] ?? "";
  const [host, port] = sentBy.split(":");
  const params = keyValues(via.slice(via.indexOf(";")).replace(/;/g, " "));
  return `${params.received || host}:${params.rport || port || "5060"}`;
}

// ---- rendering ----

const LANE = 9;
const LANES = 5;
const MARGIN = 11;

/** Lane of each party: 0 caller, 1 caller's edge, 2 proxy, 3 callee's edge, 4 callee. */
const laneOf = (side: Side) => (side === "caller" ? 0 : 4);
const edgeLane = (side: Side) => (side === "caller" ? 1 : 3);

function lanes(): string[] {
  return Array.from({ length: (LANES - 1) * LANE + 1 }, (_, i) => (i % LANE === 0 ? "|" : " "));
}

/** An arrow from lane `from` towards lane `to`, drawn as far as lane `reached`; `end` marks that lane. */
function arrow(from: number, to: number, reached: number, end: "|" | "X" | "?" = "|"): string {
  const line = lanes();
  const step = to > from ? 1 : -1;
  for (let lane = from; lane !== reached; lane += step) {
    const a = lane * LANE;
    const b = (lane + step) * LANE;
    for (let i = Math.min(a, b) + 1; i < Math.max(a, b); i++) line[i] = "-";
    line[step > 0 ? b - 1 : b + 1] = step > 0 ? ">" : "<";
  }
  line[reached * LANE] = end;
  return line.join("");
}

const pad = (text: string) => text.padEnd(MARGIN);

export function nameOf(names: PartyNames, endpoint: string): string {
  const address = endpoint.split(":")[0];
  return names[endpoint] ?? names[address] ?? "";
}

/** "203.0.113.20:3263 (NAT gateway)", with `also` inside the parentheses. */
function named(names: PartyNames, endpoint: string, also = ""): string {
  const said = [nameOf(names, endpoint), also].filter(Boolean).join(", ");
  return said ? `${endpoint} (${said})` : endpoint;
}

const distinct = <T>(items: readonly T[]) => [...new Set(items)];
const short = (name: string) => name.replace("source", "src").replace("destination", "dst");

/** The lines of one call's ladder (no trailing newline), numbered `index`. */
export function renderCallLadder(index: number, call: TwinCall, logs: TwinLogs, baseNames: PartyNames): string[] {
  const first = call.caller.find((m) => m.direction === "sent") ?? call.caller[0];
  if (!first) return [`call ${index}: ${call.title}: the caller sent nothing (see SIPp's errors below)`];
  const callId = headerValues(first, "Call-ID")[0] ?? "";
  const contact = (messages: readonly SipMessage[]) => {
    const m = messages.find((x) => x.direction === "sent" && headerValues(x, "Contact").length > 0);
    return m ? uriEndpoint(headerValues(m, "Contact")[0]) : "";
  };
  const callerAt = contact(call.caller) || uriEndpoint(`sip:${vias(first)[0]?.split(/\s+/)[1] ?? ""}`);
  const calleeAt = contact(call.callee);
  const names: PartyNames = {
    ...baseNames,
    [`${call.callerEdge}:5060`]: baseNames[call.callerEdge] ?? "caller's edge",
    [`${call.calleeEdge}:5060`]: baseNames[call.calleeEdge] ?? "callee's edge",
    ...(callerAt ? { [callerAt]: "caller" } : {}),
    ...(calleeAt ? { [calleeAt]: "callee" } : {}),
  };
  const edgeOf = (side: Side) => (side === "caller" ? call.callerEdge : call.calleeEdge);
  const edgeName = (side: Side) => nameOf(names, `${edgeOf(side)}:5060`);

  const proxy = proxyLines(logs, callId);
  const edges = edgeLines(logs, callId);
  const out: string[] = [];
  const note = (text: string) => out.push(`${pad("")}${lanes().join("")}     ${text}`);
  const instanceOf = (lines: readonly ProxyLine[]) =>
    distinct(lines.map((l) => `instance ${l.instance}`)).join(" and ");

  const instances = distinct(proxy.map((l) => l.instance));
  out.push(`call ${index}: ${call.title}`);
  out.push(`  Call-ID ${callId}; handled by ${instances.map((i) => `instance ${i}`).join(" and ") || "no instance"}`);
  out.push(`  caller ${callerAt || "?"} (SIPp) sends through the ${edgeName("caller")} ${call.callerEdge}:5060`);
  out.push(`  callee ${calleeAt || "?"} (SIPp) sits behind the ${edgeName("callee")} ${call.calleeEdge}:5060`);
  out.push("");
  const titles = ["caller", short(edgeName("caller")), "proxy", short(edgeName("callee")), "callee"];
  out.push(`${pad("")}${titles.map((t) => t.padEnd(LANE)).join("")}`.trimEnd());

  const all = travels(call);
  const start = Math.min(...all.map((t) => t.time));
  for (const t of all) {
    const time = `${(t.time - start).toFixed(1)} ms`.padStart(MARGIN - 2).padEnd(MARGIN);
    const copies = t.copies > 1 ? ` (sent ${t.copies} times)` : "";
    const lost = t.received ? "" : `; never reached the ${t.to}`;
    const target = laneOf(t.to);
    const line = (drawn: string, text: string) => out.push(`${time}${drawn}   ${text}`);
    if (t.from === "hop") {
      const origin = originOf(t, proxy, names, edgeName);
      line(arrow(origin.lane, target, target), `${t.label} from ${origin.from}`);
      if (origin.note) note(origin.note);
      continue;
    }
    const from = laneOf(t.from);
    const sent = t.sent!;
    if (!isReply(sent)) {
      // A request: its edge sends it to the proxy's public address (the Request-URI of a new
      // call, the proxy's Record-Route entry in a dialog); the proxy and the receiver's edge log it.
      const uri = sent.startLine.split(" ")[1] ?? "";
      const route = routeSet(sent);
      const ingress = route.length > 1 ? route[1] : uriEndpoint(uri);
      const atProxy = proxy.filter(
        (l) => l.fields.event === "request" && l.fields.method === t.kind && l.fields.ruri_host === uriEndpoint(uri),
      );
      const atEdge = edges.filter((l) => l.edge === edgeOf(t.to) && l.method === t.kind);
      const refused = atEdge.some((l) => l.event === "refused");
      const reached = t.received ? target : atEdge.length ? edgeLane(t.to) : atProxy.length ? 2 : edgeLane(t.from);
      const end = refused && !t.received ? "X" : t.received || reached !== edgeLane(t.from) ? "|" : "?";
      line(arrow(from, target, reached, end), `${t.label} -> ${named(names, ingress)}${copies}${lost}`);
      note(
        atProxy.length
          ? `${instanceOf(atProxy)} sees src ${distinct(atProxy.map((l) => named(names, l.fields.src))).join(", ")}`
          : "no instance logged it",
      );
      if (atEdge.length) {
        const verdict = distinct(atEdge.map((l) => l.event)).join(", then ");
        note(
          `${edgeName(t.to)} sees src ${distinct(atEdge.map((l) => named(names, l.src))).join(", ")}: ` +
            `${verdict}${refused ? " (403: not in its IP ACL)" : ""}`,
        );
      } else if (atProxy.length) {
        note(`${edgeName(t.to)} logged no ${t.kind} of this call`);
      }
      continue;
    }
    // A reply from a SIPp peer goes back along the Via stack: its edge answers the proxy's Via
    // (at the address and port the edge saw the request come from, when the Via asked for rport).
    const method = t.cseq.split(" ")[1] ?? "";
    const atProxy = proxy.filter(
      (l) => l.fields.event === "reply" && l.fields.code === t.kind && l.fields.method === method,
    );
    const reached = t.received ? target : atProxy.length ? 2 : edgeLane(t.from);
    const proxyVia = vias(sent)[1];
    const towards = proxyVia ? ` -> ${named(names, viaTarget(proxyVia), "the proxy's Via")}` : "";
    line(
      arrow(from, target, reached, t.received || atProxy.length ? "|" : "?"),
      `${t.label}${towards}${copies}${lost}`,
    );
    const request = proxy.find((l) => l.fields.event === "request" && l.fields.method === method);
    note(
      atProxy.length
        ? `${instanceOf(atProxy)} sees src ${distinct(atProxy.map((l) => named(names, l.fields.src))).join(", ")}`
        : `${request ? `instance ${request.instance}` : "the proxy"} logs no provisional replies`,
    );
  }

  out.push("");
  out.push("  sources each party logged:");
  const seen: { party: string; src: string; what: string }[] = [
    ...proxy
      .filter((l) => l.fields.src)
      .map((l) => ({
        party: `instance ${l.instance}`,
        src: l.fields.src,
        what: l.fields.event === "reply" ? `${l.fields.code} ${l.fields.method}` : l.fields.method,
      })),
    ...edges.map((l) => ({ party: nameOf(names, `${l.edge}:5060`), src: l.src, what: `${l.method} ${l.event}` })),
  ];
  const width = Math.max(0, ...seen.map((e) => e.party.length));
  for (const key of distinct(seen.map((e) => `${e.party}|${e.src}`))) {
    const [party, src] = key.split("|");
    const what = distinct(seen.filter((e) => e.party === party && e.src === src).map((e) => e.what));
    out.push(`    ${party.padEnd(width)} <- ${named(names, src)}: ${what.join(", ")}`);
  }
  return out;
}

/** Where a message no SIPp sent came from, by its kind and the proxies' reply lines. */
function originOf(
  t: Travel,
  proxy: readonly ProxyLine[],
  names: PartyNames,
  edgeName: (side: Side) => string,
): { lane: number; from: string; note?: string } {
  if (t.kind === "100") return { lane: edgeLane(t.to), from: `the ${edgeName(t.to)} (each hop answers 100 itself)` };
  const method = t.cseq.split(" ")[1] ?? "";
  const line = proxy.find((l) => l.fields.event === "reply" && l.fields.code === t.kind && l.fields.method === method);
  if (line?.fields.origin === "proxy") {
    const reason = line.fields.reason ? ` (reason=${line.fields.reason})` : "";
    return { lane: 2, from: `instance ${line.instance} itself${reason}` };
  }
  if (line) {
    const far = other(t.to);
    return {
      lane: edgeLane(far),
      from: `the ${edgeName(far)}, not the ${far}`,
      note: `instance ${line.instance} sees src ${named(names, line.fields.src)}`,
    };
  }
  return { lane: 2, from: `neither SIPp; no instance logged it` };
}

// One call through an environment's lab (`npm run lab -- <env>`): a real Kamailio with the lab
// variant of its config, a SIPp caller on 127.0.0.2 standing in for the source Twilio edge, and
// a destination standing in for `<domain>.sip.twilio.com` that answers over the environment's
// own sip.destinationTransport: SIPp for UDP and TCP, lab/tls.ts for TLS (SIPp here has no
// TLS). Prints the SIP ladder and the proxy's log lines for the call; cleans up always.
import type { EnvironmentConfig } from "../config/schema";
import { CALLER_IP, SipLab } from "./harness";
import { callerOutcome, renderLadder } from "./ladder";
import type { SippResult } from "./sipp";
import { createLabTls, startTlsDestination, type LabTls, type TlsDestination } from "./tls";
import { cseqMethod, headerValues, type SipMessage } from "./trace";

export interface LabCallOptions {
  /** Transport from the caller (the source Twilio edge) to the proxy. @default "udp" */
  readonly callerTransport?: "udp" | "tcp";
  /** Where the narrative goes. @default console.log */
  readonly print?: (line: string) => void;
}

export interface LabCallResult {
  readonly ok: boolean;
  /** The proxy-to-destination transport the call used: the environment's. */
  readonly destinationTransport: "udp" | "tcp" | "tls";
  readonly caller: readonly SipMessage[];
  readonly destination: readonly SipMessage[];
}

/** Places one call through the environment's SIP core and tells what happened. */
export async function labCall(cfg: EnvironmentConfig, options: LabCallOptions = {}): Promise<LabCallResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const callerTransport = options.callerTransport ?? "udp";
  const destinationTransport = cfg.sip.destinationTransport;

  print(`starting Kamailio with the lab variant of ${cfg.name}'s config ...`);
  let tls: LabTls | undefined;
  let lab: SipLab | undefined;
  let tlsDestination: TlsDestination | undefined;
  try {
    if (destinationTransport === "tls") tls = createLabTls();
    lab = await SipLab.start(cfg, { destinationTransport, tlsConfigFile: tls?.kamailioConfig });
    print(
      `proxy on ${lab.proxy.host}:${lab.proxy.port}, destination on ${lab.destination.host}:${lab.destination.port} (${destinationTransport.toUpperCase()})`,
    );
    let finishDestination: () => Promise<{ ok: boolean; messages: SipMessage[]; errors: string }>;
    if (destinationTransport === "tls") {
      const destination = (tlsDestination = await startTlsDestination(lab.destination, tls!, "answer"));
      finishDestination = async () => {
        // The destination's part is over once it has answered the caller's BYE.
        for (let i = 0; i < 100 && !answeredBye(destination.messages); i++) await sleep(50);
        const ok = answeredBye(destination.messages) && destination.received.some((m) => m.startsWith("ACK "));
        return { ok, messages: destination.messages, errors: ok ? "" : "the TLS destination saw no ACK or BYE\n" };
      };
    } else {
      const uas = await lab.destinationPeer("uas-answer.xml", { transport: destinationTransport });
      finishDestination = async () => {
        const callee = await uas.finish(10000);
        return { ok: callee.exitCode === 0, messages: callee.messages, errors: callee.errors };
      };
    }
    print(
      `placing one call from ${CALLER_IP} over ${callerTransport.toUpperCase()}; the proxy relays it over ${destinationTransport.toUpperCase()} (sip.destinationTransport) ...\n`,
    );
    const caller: SippResult = await lab.call("uac-call.xml", { transport: callerTransport, pauseMs: 200 });
    const callee = await finishDestination();

    print(
      renderLadder({
        caller: caller.messages,
        destination: callee.messages,
        proxy: lab.proxy,
        destinationEndpoint: lab.destination,
        callerIp: CALLER_IP,
      }),
    );
    const callId = caller.messages[0] ? headerValues(caller.messages[0], "Call-ID")[0] : "";
    print(`\nproxy log for Call-ID ${callId}:`);
    for (const line of lab.siplog(callId)) print(`  ${line}`);

    // The transport the proxy sent the INVITE with, as its own Via says (SIP/2.0/TLS ...).
    const invite = callee.messages.find((m) => m.direction === "received" && m.startLine.startsWith("INVITE "));
    const relayedOver = (
      /^SIP\/2\.0\/(\w+)/.exec(invite ? (headerValues(invite, "Via")[0] ?? "") : "")?.[1] ?? ""
    ).toLowerCase();
    const ok = caller.exitCode === 0 && callee.ok && relayedOver === destinationTransport;
    print(`\ncaller saw: ${callerOutcome(caller.messages).join(", ") || "nothing"}`);
    print(`destination got the INVITE over ${relayedOver.toUpperCase() || "nothing"}`);
    print(ok ? "call completed through the proxy" : `call FAILED\n${caller.errors}${callee.errors}`);
    return { ok, destinationTransport, caller: caller.messages, destination: callee.messages };
  } finally {
    await tlsDestination?.close();
    await lab?.stop();
    tls?.cleanup();
  }
}

const answeredBye = (messages: readonly SipMessage[]) =>
  messages.some((m) => m.direction === "sent" && m.startLine.startsWith("SIP/2.0 200") && cseqMethod(m) === "BYE");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

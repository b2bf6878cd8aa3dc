// npm run lab -- <env> [--transport udp|tcp]
// Starts the environment's lab (real Kamailio with the lab variant of its config, SIPp as
// caller and destination on 127.0.0.0/8), places one call, prints the SIP ladder and the
// proxy's log lines for it, and cleans up.
import { parseArgs } from "node:util";
import { environments } from "../config/environments";
import { ConfigError, parseEnvironment } from "../config/schema";
import { CALLER_IP, SipLab } from "../lab/harness";
import { callerOutcome, renderLadder } from "../lab/ladder";
import { headerValues } from "../lab/trace";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { transport: { type: "string", default: "udp" } },
  });
  const names = environments.map((e) => e.name);
  const input = environments.find((e) => e.name === positionals[0]);
  if (!input || (values.transport !== "udp" && values.transport !== "tcp")) {
    console.error(`usage: npm run lab -- <${names.join("|")}> [--transport udp|tcp]`);
    return 2;
  }
  const transport = values.transport as "udp" | "tcp";
  const cfg = parseEnvironment(input);

  console.log(`starting Kamailio with the lab variant of ${cfg.name}'s config ...`);
  const lab = await SipLab.start(cfg, { destinationTransport: transport });
  try {
    console.log(
      `proxy on ${lab.proxy.host}:${lab.proxy.port}, destination UAS on ${lab.destination.host}:${lab.destination.port}`,
    );
    const uas = await lab.destinationPeer("uas-answer.xml", { transport });
    console.log(`placing one call from ${CALLER_IP} over ${transport.toUpperCase()} ...\n`);
    const caller = await lab.call("uac-call.xml", { transport, pauseMs: 200 });
    const callee = await uas.finish(10000);

    console.log(
      renderLadder({
        caller: caller.messages,
        destination: callee.messages,
        proxy: lab.proxy,
        destinationEndpoint: lab.destination,
        callerIp: CALLER_IP,
      }),
    );
    const callId = caller.messages[0] ? headerValues(caller.messages[0], "Call-ID")[0] : "";
    console.log(`\nproxy log for Call-ID ${callId}:`);
    for (const line of lab.siplog(callId)) console.log(`  ${line}`);

    const ok = caller.exitCode === 0 && callee.exitCode === 0;
    console.log(`\ncaller saw: ${callerOutcome(caller.messages).join(", ") || "nothing"}`);
    console.log(ok ? "call completed through the proxy" : `call FAILED\n${caller.errors}${callee.errors}`);
    return ok ? 0 : 1;
  } finally {
    await lab.stop();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });

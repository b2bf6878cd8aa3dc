// UDP probe for the twin's model tests, run inside a namespace (`ip netns exec NS node
// lab/twin/udp-probe.mjs ...`). Plain JavaScript so it starts in milliseconds. Prints one JSON
// line per event on stdout.
//   listen ADDR PORT [echo]       print each datagram's source; with "echo", answer it
//   send FROM PORT TO TOPORT TEXT [WAIT_MS]   send one datagram and print the reply's source
//   converse FROM PORT TO TOPORT TEXT DELAY_MS DURATION_MS   bind, print whatever arrives, send
//                                 TEXT after DELAY_MS, exit after DURATION_MS
//   sequence FROM PORT TO TOPORT DURATION_MS TEXT@MS...   like converse, sending each TEXT at
//                                 its MS from one socket
//   tcp-listen ADDR PORT          accept TCP connections (what the NLB's health check wants)
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

const [mode, ...args] = process.argv.slice(2);
const out = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const socket = createSocket({ type: "udp4", reuseAddr: true });

if (mode === "listen") {
  const [address, port, echo] = args;
  socket.on("message", (data, from) => {
    out({ event: "received", from: from.address, port: from.port, text: data.toString() });
    if (echo === "echo") socket.send(`echo:${data}`, from.port, from.address);
  });
  socket.bind(Number(port), address, () => out({ event: "ready" }));
} else if (mode === "send") {
  const [from, fromPort, to, toPort, text, waitMs = "1000"] = args;
  socket.bind(Number(fromPort), from, () => {
    const timer = setTimeout(() => {
      out({ event: "no-reply" });
      socket.close();
    }, Number(waitMs));
    socket.on("message", (data, sender) => {
      clearTimeout(timer);
      out({ event: "reply", from: sender.address, port: sender.port, text: data.toString() });
      socket.close();
    });
    socket.send(text, Number(toPort), to);
  });
} else if (mode === "converse") {
  const [from, fromPort, to, toPort, text, delayMs, durationMs] = args;
  socket.on("message", (data, sender) =>
    out({ event: "received", from: sender.address, port: sender.port, text: data.toString() }),
  );
  socket.bind(Number(fromPort), from, () => {
    out({ event: "ready" });
    setTimeout(() => socket.send(text, Number(toPort), to), Number(delayMs));
    setTimeout(() => socket.close(), Number(durationMs));
  });
} else if (mode === "sequence") {
  const [from, fromPort, to, toPort, durationMs, ...sends] = args;
  socket.on("message", (data, sender) =>
    out({ event: "received", from: sender.address, port: sender.port, text: data.toString() }),
  );
  socket.bind(Number(fromPort), from, () => {
    out({ event: "ready" });
    for (const item of sends) {
      const at = item.lastIndexOf("@");
      setTimeout(() => socket.send(item.slice(0, at), Number(toPort), to), Number(item.slice(at + 1)));
    }
    setTimeout(() => socket.close(), Number(durationMs));
  });
} else if (mode === "tcp-listen") {
  const [address, port] = args;
  createServer((connection) => connection.destroy()).listen(Number(port), address, () => out({ event: "ready" }));
} else {
  process.stderr.write(
    "usage: udp-probe.mjs listen ADDR PORT [echo] | send FROM PORT TO TOPORT TEXT [WAIT_MS] | converse FROM PORT TO TOPORT TEXT DELAY_MS DURATION_MS | sequence FROM PORT TO TOPORT DURATION_MS TEXT@MS... | tcp-listen ADDR PORT\n",
  );
  process.exit(2);
}

// The twin's NLB target health, run inside the AWS namespace (`ip netns exec NS node
// lab/twin/nlb-health-check.mjs CONFIG_JSON`). Plain JavaScript so it starts in milliseconds; one
// JSON line per event on stdout. What it follows (lab/twin/MODEL.md):
// - a TCP health check connects to each registered target's port every interval; a connect
//   that fails or takes longer than the timeout fails the check; unhealthyThreshold failures
//   in a row make a target unhealthy, healthyThreshold passes make it healthy;
// - new flows are hashed over the targets in service (registered and healthy); "If all targets
//   fail health checks at the same time ... the load balancer fails open" (ELB, NLB target
//   group health checks): with none healthy, every registered target takes flows;
// - "the load balancer terminates connections to unhealthy targets" (default): the target's
//   flows are deleted from the NLB's conntrack zone, so the next packet is a new flow;
// - a deregistered target takes no new flows at once and keeps its flows for the
//   deregistration delay, after which they are cut (the target group's connection_termination).
// The NLB's nftables map `targets` (slot → target, slots = registered targets at start) is
// rewritten in one transaction; a slot keeps its own target while that one is in service, so
// healthy targets' flows do not move.
// stdin commands: "deregister ADDR", "register ADDR", "passed-just-now" (restarts the check
// interval, as if every target had just passed a check: a crash right after it is the worst
// case for how long the NLB keeps sending to a dead target).
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { createInterface } from "node:readline";

const config = JSON.parse(process.argv[2]);
const { table, map, zone, port, intervalMs, timeoutMs, healthyThreshold, unhealthyThreshold, deregistrationDelayMs } =
  config;
const out = (event) => process.stdout.write(`${JSON.stringify({ at: Date.now(), ...event })}\n`);
const targets = config.targets.map((address) => ({
  address,
  status: "initial",
  run: 0,
  registered: config.registered.includes(address),
}));
const slots = config.targets.slice();

function inService() {
  const registered = targets.filter((t) => t.registered);
  const healthy = registered.filter((t) => t.status === "healthy");
  return (healthy.length > 0 ? healthy : registered).map((t) => t.address);
}

function apply() {
  const live = inService();
  if (live.length === 0) return;
  const elements = slots.map((own, i) => `${i} : ${live.includes(own) ? own : live[i % live.length]}`);
  const script = `flush map ip ${table} ${map}\nadd element ip ${table} ${map} { ${elements.join(", ")} }\n`;
  const result = spawnSync("nft", ["-f", "-"], { input: script, encoding: "utf8" });
  if (result.status !== 0) out({ event: "error", text: `nft: ${result.stderr.trim()}` });
  out({ event: "targets", inService: live, registered: targets.filter((t) => t.registered).map((t) => t.address) });
}

function cutFlows(address) {
  // conntrack exits 1 when nothing matched; that is not an error here.
  const result = spawnSync("conntrack", ["-D", "-w", String(zone), "-r", address], { encoding: "utf8" });
  out({ event: "cut", target: address, deleted: /(\d+) flow entries/.exec(result.stderr)?.[1] ?? "0" });
}

function check(target) {
  return new Promise((resolve) => {
    const socket = connect({ host: target.address, port });
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function round() {
  const registered = targets.filter((t) => t.registered);
  const results = await Promise.all(registered.map(check));
  const turnedUnhealthy = [];
  let changed = false;
  registered.forEach((target, i) => {
    const ok = results[i];
    // run: consecutive passes (> 0) or failures (< 0).
    if (ok) target.run = target.run > 0 ? target.run + 1 : 1;
    else target.run = target.run < 0 ? target.run - 1 : -1;
    out({ event: "check", target: target.address, ok });
    const next =
      target.run >= healthyThreshold ? "healthy" : -target.run >= unhealthyThreshold ? "unhealthy" : target.status;
    if (next !== target.status) {
      target.status = next;
      changed = true;
      if (next === "unhealthy") turnedUnhealthy.push(target.address);
      out({ event: "health", target: target.address, status: next });
    }
  });
  if (changed) {
    apply();
    turnedUnhealthy.forEach(cutFlows);
  }
}

let timer;
createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, address] = line.trim().split(/\s+/);
  if (command === "passed-just-now") {
    clearInterval(timer);
    timer = timer = setInterval(round, intervalMs);
    return out({ event: "phase" });
  }
  const target = targets.find((t) => t.address === address);
  if (!target) return out({ event: "error", text: `unknown target ${address}` });
  if (command === "deregister") {
    target.registered = false;
    out({ event: "draining", target: address });
    apply();
    setTimeout(() => {
      cutFlows(address);
      out({ event: "deregistered", target: address });
    }, deregistrationDelayMs);
  } else if (command === "register") {
    Object.assign(target, { registered: true, status: "initial", run: 0 });
    out({ event: "registered", target: address });
  }
});

apply();
out({ event: "ready" });
timer = setInterval(round, intervalMs);

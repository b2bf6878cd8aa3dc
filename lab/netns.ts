// Network namespaces for tests that need addresses loopback cannot give: Twilio's published
// gateways, a proxy's public address, later the network twin's AWS parts. Every address is put
// on the namespace's own `lo`, and a new namespace has no route: traffic sent inside it can
// reach only addresses inside it, and nothing leaves for the host or the internet.
// Namespaces are deleted by destroy() (tests call it in afterAll) and, as a last resort, when
// the process exits; a run that was killed leaves names with its pid, removed by the next run.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const PREFIX = "sipx";
const live = new Set<NetworkNamespace>();
let exitHookInstalled = false;

function ip(args: readonly string[]): string {
  const result = spawnSync("ip", args, { encoding: "utf8" });
  if (result.error) throw new Error(`could not run ip: ${result.error.message}. Install it: apt-get install iproute2`);
  if (result.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Deletes namespaces this helper made in processes that no longer run. */
function removeStale(): void {
  for (const line of ip(["netns", "list"]).split("\n")) {
    const match = new RegExp(`^(${PREFIX}-[a-z0-9]+-(\\d+)-\\d+)`).exec(line);
    if (match && !existsSync(`/proc/${match[2]}`)) spawnSync("ip", ["netns", "delete", match[1]]);
  }
}

export class NetworkNamespace {
  private static counter = 0;
  private destroyed = false;

  private constructor(readonly name: string) {}

  /** A fresh namespace with `lo` up and no route out. Requires root (CI runs as root). */
  static create(label: string): NetworkNamespace {
    if (!/^[a-z0-9]{1,6}$/.test(label)) throw new Error(`namespace label must be 1-6 lowercase letters or digits`);
    if (process.getuid?.() !== 0) throw new Error("network namespaces need root: run the tests as root (CI does)");
    removeStale();
    const ns = new NetworkNamespace(`${PREFIX}-${label}-${process.pid}-${NetworkNamespace.counter++}`);
    ip(["netns", "add", ns.name]);
    live.add(ns);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once("exit", () => [...live].forEach((n) => n.destroy()));
    }
    ns.ip("link", "set", "lo", "up");
    const routes = ns.ip("-4", "route", "show", "table", "all").trim();
    if (routes.split("\n").some((r) => r.startsWith("default"))) {
      ns.destroy();
      throw new Error(`namespace ${ns.name} has a default route; refusing to send test traffic from it`);
    }
    return ns;
  }

  /** `ip -n <ns> ...` */
  ip(...args: string[]): string {
    return ip(["-n", this.name, ...args]);
  }

  /** Puts addresses (each a /32 unless written otherwise) on the namespace's loopback. */
  addAddresses(...addresses: string[]): void {
    for (const address of addresses)
      this.ip("addr", "add", address.includes("/") ? address : `${address}/32`, "dev", "lo");
  }

  /**
   * A veth pair from this namespace to `peer`: `name` here with `address` (CIDR), `peerName`
   * there with `peerAddress`, both up. The link carries traffic only between the two.
   */
  link(name: string, address: string, peer: NetworkNamespace, peerName: string, peerAddress: string): void {
    this.ip("link", "add", name, "type", "veth", "peer", "name", peerName, "netns", peer.name);
    this.ip("addr", "add", address, "dev", name);
    this.ip("link", "set", name, "up");
    peer.ip("addr", "add", peerAddress, "dev", peerName);
    peer.ip("link", "set", peerName, "up");
  }

  /** Runs a command inside the namespace and returns its stdout; throws on failure. */
  run(command: readonly string[], input?: string): string {
    const [cmd, ...args] = this.argv(command);
    const result = spawnSync(cmd, args, { encoding: "utf8", input });
    if (result.status !== 0) throw new Error(`${command.join(" ")} in ${this.name} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** The argv that runs `command` inside the namespace (same pid: `ip netns exec` execs it). */
  argv(command: readonly string[]): string[] {
    return ["ip", "netns", "exec", this.name, ...command];
  }

  /** Kills whatever still runs in the namespace and deletes it. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    const pids = spawnSync("ip", ["netns", "pids", this.name], { encoding: "utf8" }).stdout ?? "";
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    spawnSync("ip", ["netns", "delete", this.name]);
  }
}

// The AWS emulator of the deploy rehearsal: moto's server mode, from Debian's archive, in a
// Debian 13 root built by the shared builder (lab/debian-root.ts), on loopback only.
//
// Why a package from unstable: trixie's python3-moto 5.1.1 does not implement elbv2
// DescribeCapacityReservation, which hashicorp/aws 5.100 polls after creating an NLB, so the
// apply hangs. Unstable's python3-moto (5.2.x, architecture all) implements it and runs in a
// trixie root on top of trixie's moto dependencies. The exact .deb is cached by version in the
// machine cache; the version used is printed on every run, and a change of version is printed
// as such (and gets a root of its own).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import {
  cacheDir,
  currentRoot,
  ensureRoot,
  inRootArgv,
  RootUnavailableError,
  runCommand,
  runInRoot,
  type RootSpec,
} from "../../lab/debian-root";

const MIRROR = process.env.SIP_PROXY_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
/** Where unstable's python3-moto comes from. */
export const MOTO_SUITE = "sid";
export const MOTO_PACKAGE = "python3-moto";

/** Cache folders of the emulator roots: `moto-sid-<version>-<key>`. */
const ROOT_PREFIX = "moto-sid-";
const debsDir = () => join(cacheDir(), "debs");
const versionRecord = () => join(cacheDir(), "moto.version");

/** apt options that read `suite`'s indexes into a private state folder (the host's apt untouched). */
function aptOptions(suite: string): string[] {
  const state = join(cacheDir(), "apt-state", suite);
  for (const sub of ["lists/partial", "cache/archives/partial", "etc/sources.list.d"]) {
    mkdirSync(join(state, sub), { recursive: true });
  }
  writeFileSync(
    join(state, "etc/sources.list.d/debian.sources"),
    `Types: deb\nURIs: ${MIRROR}\nSuites: ${suite}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
  );
  writeFileSync(join(state, "status"), "");
  return [
    ...["-o", `Dir::State=${state}`, "-o", `Dir::State::status=${join(state, "status")}`],
    ...["-o", `Dir::Cache=${join(state, "cache")}`, "-o", "Dir::Etc::SourceList=/dev/null"],
    ...["-o", `Dir::Etc::SourceParts=${join(state, "etc/sources.list.d")}`, "-o", "Dir::Etc::Preferences=/dev/null"],
    ...["-o", "APT::Architecture=amd64", "-o", "APT::Architectures=amd64", "-o", "Debug::NoLocking=1"],
  ];
}

/** `python3-moto_5.2.4-1_all.deb` → `5.2.4-1`. */
export function debVersion(file: string): string {
  const match = /^python3-moto_(.+)_all\.deb$/.exec(file);
  if (!match) throw new Error(`not a python3-moto .deb name: ${file}`);
  return decodeURIComponent(match[1]);
}

/** The cached python3-moto .debs, newest first by Debian version order. */
function cachedDebs(): string[] {
  if (!existsSync(debsDir())) return [];
  const debs = readdirSync(debsDir()).filter((f) => /^python3-moto_.+_all\.deb$/.test(f));
  return debs.sort((a, b) => {
    const newer = spawnSync("dpkg", ["--compare-versions", debVersion(a), "gt", debVersion(b)]).status === 0;
    return newer ? -1 : 1;
  });
}

export interface MotoDeb {
  readonly version: string;
  readonly file: string;
}

/**
 * The python3-moto .deb unstable serves now, downloaded once per version into the machine
 * cache. With the archive unreachable, the newest cached .deb, with a warning.
 */
export function ensureMotoDeb(log: (line: string) => void = console.log): MotoDeb {
  mkdirSync(debsDir(), { recursive: true });
  let version: string;
  const options = aptOptions(MOTO_SUITE);
  try {
    // --error-on=any: a plain `apt-get update` exits 0 when the mirror is unreachable.
    runCommand("apt-get", [...options, "-qq", "--error-on=any", "update"]);
    version = runCommand("apt-cache", [...options, "show", "--no-all-versions", MOTO_PACKAGE])
      .match(/^Version: (\S+)$/m)?.[1]
      ?.trim() as string;
    if (!version) throw new RootUnavailableError(`${MOTO_SUITE} has no ${MOTO_PACKAGE}`);
  } catch (error) {
    const newest = cachedDebs()[0];
    if (!newest) {
      throw new RootUnavailableError(
        `cannot read ${MOTO_SUITE}'s ${MOTO_PACKAGE} from ${MIRROR} and none is cached in ${debsDir()}:\n${(error as Error).message}`,
      );
    }
    log(`WARNING: Debian archive unreachable; using the newest cached ${newest}`);
    return { version: debVersion(newest), file: join(debsDir(), newest) };
  }
  const file = join(debsDir(), `python3-moto_${version.replace(/:/g, "%3a")}_all.deb`);
  if (!existsSync(file)) {
    log(`moto: downloading ${MOTO_PACKAGE} ${version} from ${MOTO_SUITE} into ${debsDir()}`);
    const download = join(debsDir(), `.download-${process.pid}`);
    rmSync(download, { recursive: true, force: true });
    mkdirSync(download);
    try {
      runCommand("apt-get", [...options, "-qq", "download", `${MOTO_PACKAGE}=${version}`], { cwd: download });
      const [deb] = readdirSync(download).filter((f) => f.endsWith(".deb"));
      if (!deb) throw new RootUnavailableError(`apt-get download ${MOTO_PACKAGE}=${version} produced no .deb`);
      renameSync(join(download, deb), file);
    } finally {
      rmSync(download, { recursive: true, force: true });
    }
  }
  return { version, file };
}

/** Records the version used and says loudly when it differs from the last run's. */
function announceVersion(version: string, log: (line: string) => void): void {
  const previous = existsSync(versionRecord()) ? readFileSync(versionRecord(), "utf8").trim() : "";
  if (previous && previous !== version) {
    log(`moto: VERSION CHANGED: ${MOTO_PACKAGE} ${previous} -> ${version}; re-check the accepted emulator artefacts`);
  }
  writeFileSync(versionRecord(), `${version}\n`);
  log(`moto: ${MOTO_PACKAGE} ${version} (Debian ${MOTO_SUITE}) in a Debian 13 root`);
}

/**
 * The emulator's root: trixie's python3-moto with its dependencies (and the cffi backend that
 * cryptography needs), then unstable's python3-moto on top with dpkg. The root's name carries
 * the .deb's version, so each moto version gets its own cached root.
 */
export function motoRootSpec(deb: MotoDeb): RootSpec {
  return {
    name: `${ROOT_PREFIX}${deb.version.replace(/[^A-Za-z0-9.+-]/g, "_")}`,
    // Server mode needs flask and flask-cors (moto[server]); cryptography needs the cffi backend.
    packages: [MOTO_PACKAGE, "python3-cffi-backend", "python3-flask", "python3-flask-cors"],
    recommends: true,
    revision: 1,
    finish: (root, _extras, log) => {
      copyFileSync(deb.file, join(root, "tmp/moto.deb"));
      // The unstable package declares botocore >= 1.39 while trixie has 1.37: dpkg would leave
      // it unconfigured. It runs with trixie's botocore (the rehearsal is its test), so the
      // dependency check alone is overridden, for this one package.
      runInRoot(root, ["dpkg", "--force-depends", "-i", "/tmp/moto.deb"]);
      rmSync(join(root, "tmp/moto.deb"));
      log(`moto root: installed ${MOTO_PACKAGE} ${deb.version} from ${MOTO_SUITE}`);
    },
  };
}

/** Builds or reuses the emulator root; returns it and the moto version it holds. */
export function ensureMotoRoot(log: (line: string) => void = console.log): { root: string; version: string } {
  const deb = ensureMotoDeb(log);
  const root = ensureRoot(motoRootSpec(deb), log);
  announceVersion(deb.version, log);
  // The builder keeps two roots per name; roots of other moto versions (this module's prefix
  // only: other roots in the shared cache are not ours to remove) go.
  const rootsDir = join(cacheDir(), "roots");
  const keep = motoRootSpec(deb).name;
  for (const entry of readdirSync(rootsDir)) {
    if (entry.startsWith(ROOT_PREFIX) && !entry.startsWith(`${keep}-`) && !entry.startsWith(`${keep}.`)) {
      log(`moto root: removing ${entry} (another moto version)`);
      rmSync(join(rootsDir, entry), { recursive: true, force: true });
    }
  }
  return { root, version: deb.version };
}

/** The emulator root the last `ensureMotoRoot` chose (tests read this; they never build). */
export function currentMotoRoot(): { root: string; version: string } {
  const version = existsSync(versionRecord()) ? readFileSync(versionRecord(), "utf8").trim() : "";
  if (!version) {
    throw new RootUnavailableError(
      `no moto root in ${join(cacheDir(), "roots")}: run \`npm run roots\` (npm test does it first; needs root and debootstrap)`,
    );
  }
  return { root: currentRoot(motoRootSpec({ version, file: "" }).name), version };
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Started before moto's server: cryptography's Rust bindings (PyO3) may be initialised only
 * once per process, and two first requests that each import a backend concurrently fail with
 * "PyO3 modules may only be initialized once per interpreter process" (seen with ACM/IAM/EC2
 * key pairs here). Importing x509 and loading the backends first makes the later imports no-ops.
 */
const SERVER_SCRIPT = `
import sys, faulthandler, signal
# SIGUSR1 prints every thread's stack: how to see where a hung request waits.
faulthandler.register(signal.SIGUSR1, all_threads=True)
import cryptography.x509
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives.asymmetric import rsa, ec
default_backend()
rsa.generate_private_key(public_exponent=65537, key_size=1024)
# moto 5.2.4 ec2/models/network_acls.py delete_network_acl_entry takes the entry with next()
# and no default (its own "if entry is not None" shows one was meant), so deleting an entry
# that is not there raises StopIteration: a 500, which the provider retries for many minutes
# (a rehearsal hung adopting the default network ACL). EC2 answers such a request with the
# error InvalidNetworkAclEntry.NotFound (400), as here.
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.network_acls import NetworkAclBackend
_delete_entry = NetworkAclBackend.delete_network_acl_entry
def _delete_entry_or_not_found(self, network_acl_id, rule_number, egress):
    acl = self.get_network_acl(network_acl_id)
    if not any(e.egress == egress and e.rule_number == rule_number for e in acl.network_acl_entries):
        raise EC2ClientError("InvalidNetworkAclEntry.NotFound", f"The network ACL entry identified by {rule_number} (egress {egress}) of {network_acl_id} does not exist")
    return _delete_entry(self, network_acl_id, rule_number, egress)
NetworkAclBackend.delete_network_acl_entry = _delete_entry_or_not_found
# EC2 makes CreateFlowLogs idempotent by its ClientToken ("Unique, case-sensitive identifier
# that you provide to ensure the idempotency of the request", CreateFlowLogs API reference):
# a request repeated with the same token gets the first answer. The provider sends a fresh
# token per flow log and the SDK repeats a request whose answer it lost; moto 5.2.4 ignores
# the token, so under load a repeat met its duplicate check (FlowLogAlreadyExists) and failed
# a rehearsal that EC2 would have let through.
from moto.ec2.responses.flow_logs import FlowLogs as FlowLogsResponse
_create_flow_logs = FlowLogsResponse.create_flow_logs
_flow_log_answers = {}
def _create_flow_logs_once(self):
    # No lock of its own: the server answers one request at a time (below).
    token = self._get_param("ClientToken")
    if not token:
        return _create_flow_logs(self)
    key = (self.current_account, self.region, token)
    if key in _flow_log_answers:
        print(f"CreateFlowLogs repeated with ClientToken {token}: answered as the first time (EC2 idempotency)", flush=True)
    else:
        _flow_log_answers[key] = _create_flow_logs(self)
    return _flow_log_answers[key]
FlowLogsResponse.create_flow_logs = _create_flow_logs_once
# One request at a time. moto's server answers on a thread per request, but its in-memory
# backends are plain dicts and lists with no locking, and the provider sends ten requests at
# once. Under CPU load, rehearsals failed now and then with InvalidPermission.Duplicate on a
# security group the same apply had just created; requests interleaving in those unlocked
# models is the likely cause (inferred, not caught in the act). EC2 applies each call
# atomically; so does the emulator now, at the cost of answering one call at a time.
import threading
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
_dispatch = DomainDispatcherApplication.__call__
_one_request_at_a_time = threading.Lock()
def _dispatch_alone(self, environ, start_response):
    with _one_request_at_a_time:
        return _dispatch(self, environ, start_response)
DomainDispatcherApplication.__call__ = _dispatch_alone
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
`;

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  readonly version: string;
  readonly pid: number;
  /** moto's own output (one line per request). */
  readonly logFile: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

/** Starts moto's server from the root on a free loopback port; resolves once it answers. */
export async function startMoto(root: string, version: string, logFile: string): Promise<MotoServer> {
  const port = await freePort();
  const [cmd, ...args] = inRootArgv(root, ["/usr/bin/python3", "-c", SERVER_SCRIPT, String(port)], []);
  // Into a file, never a pipe: Terraform runs synchronously in this process, and a pipe that
  // nobody drains fills up with moto's request log until every server thread blocks.
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, "w");
  const output = () => readFileSync(logFile, "utf8");
  const child: ChildProcess = spawn(cmd, args, {
    stdio: ["ignore", fd, fd],
    detached: true,
    env: {
      PYTHONUNBUFFERED: "1",
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      LC_ALL: "C.UTF-8",
      // AWS-managed policy ARNs (AmazonSSMManagedInstanceCore, CloudWatchAgentServerPolicy)
      // exist in moto only with this set (moto docs, "IAM-like Access Control": managed
      // policies are not loaded by default since moto 4.x for speed).
      MOTO_IAM_LOAD_MANAGED_POLICIES: "true",
    },
  });
  closeSync(fd);
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`moto server exited with ${child.exitCode}:\n${output().slice(-3000)}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid!, "SIGKILL");
      throw new Error(`moto server did not answer on ${endpoint} within 60 s:\n${output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    port,
    version,
    pid: child.pid!,
    logFile,
    log: output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        process.kill(-child.pid!, "SIGTERM");
        setTimeout(() => child.exitCode === null && process.kill(-child.pid!, "SIGKILL"), 5000).unref();
      }),
  };
}

/** Empties moto's state (every service, every region) between environments. */
export async function resetMoto(server: MotoServer): Promise<void> {
  const response = await fetch(`${server.endpoint}/moto-api/reset`, { method: "POST" });
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
}

/**
 * A request to moto's Route 53 (REST/XML, API 2013-04-01). moto's single endpoint tells the
 * service by the credential scope of the Authorization header and does not check signatures
 * (moto_server/werkzeug_app.py, infer_service_region_host), so the scope is all this carries.
 */
async function route53(server: MotoServer, method: "GET" | "POST", path: string, body?: string): Promise<string> {
  const response = await fetch(`${server.endpoint}/2013-04-01/${path}`, {
    method,
    body,
    headers: {
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIAOFFLINEMOCK00000/20250101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      ...(body ? { "Content-Type": "application/xml" } : {}),
    },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto route53 ${method} ${path}: HTTP ${response.status}\n${text.slice(0, 2000)}`);
  return text;
}

/**
 * Creates a public hosted zone in the emulator unless one of that name exists, and returns its
 * id. An account holds the zone a stack's DNS record goes into before the stack is deployed
 * (README, "Ingress across zones"); the emulator starts empty, so the rehearsal stands in for
 * the operator. One zone per name: a second would make the stack's lookup by name ambiguous.
 */
export async function ensureHostedZone(server: MotoServer, zone: string): Promise<string> {
  const listed = await route53(server, "GET", `hostedzonesbyname?dnsname=${encodeURIComponent(zone)}`);
  const existing = [...listed.matchAll(/<HostedZone>([\s\S]*?)<\/HostedZone>/g)]
    .map((m) => m[1])
    .find((z) => z.includes(`<Name>${zone}.</Name>`) && !z.includes("<PrivateZone>true</PrivateZone>"));
  const idOf = (xml: string) => /<Id>\/hostedzone\/([^<]+)<\/Id>/.exec(xml)?.[1];
  if (existing) return idOf(existing)!;
  const created = await route53(
    server,
    "POST",
    "hostedzone",
    `<?xml version="1.0" encoding="UTF-8"?>
<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
  <Name>${zone}</Name>
  <CallerReference>sip-proxy-rehearsal-${zone}</CallerReference>
  <HostedZoneConfig><Comment>deploy rehearsal</Comment><PrivateZone>false</PrivateZone></HostedZoneConfig>
</CreateHostedZoneRequest>`,
  );
  const id = idOf(created);
  if (!id) throw new Error(`moto route53 CreateHostedZone for ${zone} returned no id:\n${created.slice(0, 2000)}`);
  return id;
}

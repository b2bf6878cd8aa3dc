// One builder of Debian roots for the tests: a Debian 13 tree made with `debootstrap`, its
// packages installed from trixie, trixie-updates and trixie-security exactly as an instance's
// apt would pick them, cached outside the clone and keyed by the package versions it holds.
// Programs run in a root with `chroot` inside a private mount namespace (`unshare -m`), so the
// /proc and /tmp mounts they need vanish with the process, also when a test crashes.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEBIAN } from "../config/platform";

/** What a root holds. The name and package list are the cache key with the resolved versions. */
export interface RootSpec {
  /** Short name, part of the cache folder's name ("kamailio", "ec2-image"). */
  readonly name: string;
  /** Packages installed on top of debootstrap's minbase, with apt's default choices. */
  readonly packages: readonly string[];
  /**
   * Packages downloaded, not installed, with what they need beyond the root, into a flat apt
   * repository at `<root>.extras/repo` (a local mirror for a boot test). @default none
   */
  readonly repository?: readonly string[];
  /** Install Recommends as a plain `apt-get install` does. @default true */
  readonly recommends?: boolean;
  /**
   * Runs in the finished root before it is published (e.g. deleting apt lists like an image).
   * `extras` is an empty folder published beside the root as `<root>.extras`, for artefacts
   * that must not be inside it (a package repository, say).
   */
  readonly finish?: (root: string, extras: string, log: (line: string) => void) => void;
  /** Bump when `finish` or the build steps change, so cached roots are rebuilt. */
  readonly revision: number;
}

export const SUITE = DEBIAN.codename;
const MIRROR = process.env.SIP_PROXY_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
const SECURITY_MIRROR = process.env.SIP_PROXY_DEBIAN_SECURITY_MIRROR ?? "http://deb.debian.org/debian-security";

/** Machine-level cache shared by every clone on this machine. */
export function cacheDir(): string {
  return process.env.SIP_PROXY_CACHE_DIR ?? "/var/cache/sip-proxy-infra";
}
const rootsDir = () => join(cacheDir(), "roots");

/** A root is missing or cannot be built: says what to run or install. */
export class RootUnavailableError extends Error {
  override name = "RootUnavailableError";
}

/** The deb822 sources an instance of Debian 13 has: the release, its updates and security. */
export function debianSources(mirror = MIRROR, securityMirror = SECURITY_MIRROR): string {
  const keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
  return [
    `Types: deb\nURIs: ${mirror}\nSuites: ${SUITE} ${SUITE}-updates\nComponents: main\nSigned-By: ${keyring}\n`,
    `Types: deb\nURIs: ${securityMirror}\nSuites: ${SUITE}-security\nComponents: main\nSigned-By: ${keyring}\n`,
  ].join("\n");
}

/** Runs a command and returns its stdout; throws RootUnavailableError with its last output lines. */
export function runCommand(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...options });
  if (result.error) throw new RootUnavailableError(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new RootUnavailableError(`${cmd} ${args.join(" ")} exited with ${result.status}:\n${output}`);
  }
  return String(result.stdout ?? "");
}

/**
 * Runs a program inside a root: a private mount namespace with /proc and the host's temporary
 * folder mounted at the same paths (so files a test writes under tmpdir() are visible at the
 * same path inside), then chroot. Returns the argv to spawn; the mounts die with the process.
 */
export function inRootArgv(
  root: string,
  argv: readonly string[],
  binds: readonly string[] = [tmpdir()],
  /**
   * Folders given an empty tmpfs, so that what runs there leaves nothing in the cached root.
   * "/sys" also gets the cgroup2 hierarchy, which systemd's journald needs to start.
   */
  scratch: readonly string[] = [],
): string[] {
  const mounts = ['mount -t proc proc "$ROOT/proc"'];
  for (const bind of binds) mounts.push(`mkdir -p "$ROOT${bind}" && mount --rbind "${bind}" "$ROOT${bind}"`);
  for (const dir of scratch) mounts.push(`mount -t tmpfs tmpfs "$ROOT${dir}"`);
  if (scratch.includes("/sys")) {
    mounts.push('mkdir -p "$ROOT/sys/fs/cgroup" && mount -t cgroup2 cgroup2 "$ROOT/sys/fs/cgroup"');
  }
  const script = `set -e; ROOT=$1; shift; ${mounts.join("; ")}; exec chroot "$ROOT" "$@"`;
  return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", root, ...argv];
}

/** Runs a command in a root (no binds) and returns its stdout; throws with its output on failure. */
export function runInRoot(root: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const [cmd, ...args] = inRootArgv(root, argv, []);
  return runCommand(cmd, args, { env });
}

/**
 * Resolves what `apt-get install` would install on a fresh trixie system, with the host's apt
 * pointed at trixie's indexes through a private state folder (its own lists, an empty dpkg
 * status). Throws RootUnavailableError when the archive cannot be read.
 */
export function resolveVersions(spec: RootSpec): string[] {
  const state = join(cacheDir(), "apt-state", SUITE);
  for (const sub of ["lists/partial", "cache/archives/partial", "etc/sources.list.d", "etc/preferences.d"]) {
    mkdirSync(join(state, sub), { recursive: true });
  }
  writeFileSync(join(state, "etc/sources.list.d/debian.sources"), debianSources());
  writeFileSync(join(state, "status"), "");
  const options = [
    "-o",
    `Dir::State=${state}`,
    "-o",
    `Dir::State::status=${join(state, "status")}`,
    "-o",
    `Dir::Cache=${join(state, "cache")}`,
    "-o",
    `Dir::Etc::SourceList=/dev/null`,
    "-o",
    `Dir::Etc::SourceParts=${join(state, "etc/sources.list.d")}`,
    "-o",
    `Dir::Etc::Preferences=/dev/null`,
    "-o",
    `Dir::Etc::PreferencesParts=${join(state, "etc/preferences.d")}`,
    "-o",
    "APT::Architecture=amd64",
    "-o",
    "APT::Architectures=amd64",
    "-o",
    "Debug::NoLocking=1",
  ];
  // --error-on=any: a plain `apt-get update` exits 0 when the mirror is unreachable.
  runCommand("apt-get", [...options, "-qq", "--error-on=any", "update"]);
  const recommends = spec.recommends === false ? ["--no-install-recommends"] : [];
  const simulated = runCommand("apt-get", [
    ...options,
    "-s",
    "install",
    ...recommends,
    ...spec.packages,
    ...(spec.repository ?? []),
  ]);
  const versions = [...simulated.matchAll(/^Inst (\S+) \((\S+) /gm)].map(([, name, version]) => `${name}=${version}`);
  if (versions.length === 0) throw new RootUnavailableError(`apt resolved nothing for ${spec.packages.join(" ")}`);
  return versions.sort();
}

interface Manifest {
  readonly name: string;
  readonly key: string;
  readonly built: string;
  readonly packages: readonly string[];
  readonly installed: Record<string, string>;
}

function keyFor(spec: RootSpec, versions: readonly string[]): string {
  const material = JSON.stringify({
    suite: SUITE,
    revision: spec.revision,
    packages: spec.packages,
    repository: spec.repository ?? [],
    recommends: spec.recommends !== false,
    versions,
  });
  return createHash("sha256").update(material).digest("hex").slice(0, 16);
}

function completeRoots(name: string): { dir: string; mtime: number }[] {
  if (!existsSync(rootsDir())) return [];
  return readdirSync(rootsDir())
    .filter((entry) => entry.startsWith(`${name}-`) && existsSync(join(rootsDir(), entry, ".sip-proxy-root.json")))
    .map((entry) => ({
      dir: join(rootsDir(), entry),
      mtime: statSync(join(rootsDir(), entry, ".sip-proxy-root.json")).mtimeMs,
    }))
    .sort((a, b) => b.mtime - a.mtime);
}

/** The root the last `ensureRoot` chose for this name (tests read this; they never build). */
export function currentRoot(name: string): string {
  const pointer = join(rootsDir(), `${name}.current`);
  const dir = existsSync(pointer) ? readFileSync(pointer, "utf8").trim() : "";
  if (!dir || !existsSync(join(dir, ".sip-proxy-root.json"))) {
    throw new RootUnavailableError(
      `no Debian ${SUITE} "${name}" root in ${rootsDir()}: run \`npm run roots\` (npm test does it first; needs root and debootstrap)`,
    );
  }
  return dir;
}

export function manifestOf(root: string): Manifest {
  return JSON.parse(readFileSync(join(root, ".sip-proxy-root.json"), "utf8")) as Manifest;
}

/**
 * Returns a root holding `spec` at the archive's current versions, building it when no cached
 * root has them (about a minute). With the archive unreachable, the newest cached root of that
 * name is used, with a warning.
 */
export function ensureRoot(spec: RootSpec, log: (line: string) => void = console.log): string {
  if (process.getuid?.() !== 0)
    throw new RootUnavailableError("building and entering Debian roots needs root (chroot, mount)");
  let versions: string[];
  try {
    versions = resolveVersions(spec);
  } catch (error) {
    const fallback = completeRoots(spec.name)[0];
    if (!fallback) {
      throw new RootUnavailableError(
        `cannot resolve ${spec.name} packages from ${MIRROR} and no cached root exists:\n${(error as Error).message}`,
      );
    }
    log(`WARNING: Debian archive unreachable; using the newest cached ${spec.name} root ${fallback.dir}`);
    publish(spec.name, fallback.dir);
    return fallback.dir;
  }
  const key = keyFor(spec, versions);
  const dir = join(rootsDir(), `${spec.name}-${key}`);
  if (existsSync(join(dir, ".sip-proxy-root.json"))) {
    log(`${spec.name} root: cached ${dir}`);
    publish(spec.name, dir);
    return dir;
  }
  build(spec, dir, key, log);
  publish(spec.name, dir);
  prune(spec.name, log);
  return dir;
}

/** Roots kept per name: the new one and the one before it (a fallback while the archive is down). */
const KEEP_ROOTS = 2;

function prune(name: string, log: (line: string) => void): void {
  for (const { dir } of completeRoots(name).slice(KEEP_ROOTS)) {
    log(`${name} root: removing the superseded ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.extras`, { recursive: true, force: true });
  }
}

function publish(name: string, dir: string): void {
  writeFileSync(join(rootsDir(), `${name}.current`), `${dir}\n`);
}

function build(spec: RootSpec, dir: string, key: string, log: (line: string) => void): void {
  const debootstrap = spawnSync("debootstrap", ["--version"]);
  if (debootstrap.error) {
    log("installing debootstrap with apt-get (once per machine)");
    runCommand("apt-get", ["-qq", "update"]);
    runCommand("apt-get", ["install", "-y", "-qq", "debootstrap"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const partial = `${dir}.partial-${process.pid}`;
  const extras = `${partial}.extras`;
  rmSync(partial, { recursive: true, force: true });
  rmSync(extras, { recursive: true, force: true });
  mkdirSync(rootsDir(), { recursive: true });
  try {
    log(`${spec.name} root: debootstrap ${SUITE} (minbase) into ${partial}`);
    runCommand("debootstrap", ["--variant=minbase", SUITE, partial, MIRROR]);
    log(`${spec.name} root: base system ready after ${elapsed()}; installing ${spec.packages.join(" ")}`);
    rmSync(join(partial, "etc/apt/sources.list"), { force: true });
    writeFileSync(join(partial, "etc/apt/sources.list.d/debian.sources"), debianSources());
    // Packages must not start services while the root is built (there is no init here).
    writeFileSync(join(partial, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C" };
    const recommends = spec.recommends === false ? ["--no-install-recommends"] : [];
    runInRoot(partial, ["apt-get", "-qq", "--error-on=any", "update"], env);
    runInRoot(partial, ["apt-get", "-y", "-qq", "dist-upgrade"], env);
    runInRoot(partial, ["apt-get", "-y", "-qq", "install", ...recommends, ...spec.packages], env);
    rmSync(join(partial, "usr/sbin/policy-rc.d"));
    mkdirSync(extras);
    if (spec.repository) {
      // What a plain `apt-get install` on this root would fetch (with Recommends), and only that.
      runInRoot(partial, ["apt-get", "clean"], env);
      runInRoot(partial, ["apt-get", "-y", "-qq", "install", "--download-only", ...spec.repository], env);
      const repo = join(extras, "repo");
      mkdirSync(repo);
      const archives = join(partial, "var/cache/apt/archives");
      for (const deb of readdirSync(archives).filter((f) => f.endsWith(".deb"))) {
        renameSync(join(archives, deb), join(repo, deb));
      }
      writeFlatRepository(repo);
      log(`${spec.name} root: local repository of ${spec.repository.join(" ")} in ${repo}`);
    }
    runInRoot(partial, ["apt-get", "clean"], env);
    spec.finish?.(partial, extras, log);
    const installed = Object.fromEntries(
      runInRoot(partial, ["dpkg-query", "-W", "-f", "${Package}\t${Version}\n"])
        .trim()
        .split("\n")
        .map((line) => line.split("\t") as [string, string]),
    );
    const manifest: Manifest = {
      name: spec.name,
      key,
      built: new Date().toISOString(),
      packages: spec.packages,
      installed,
    };
    writeFileSync(join(partial, ".sip-proxy-root.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(`${dir}.extras`, { recursive: true, force: true });
    renameSync(extras, `${dir}.extras`);
    renameSync(partial, dir);
    log(`${spec.name} root: built ${dir} in ${elapsed()}`);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    rmSync(extras, { recursive: true, force: true });
    throw error;
  }
}

/** Packages and Release for a flat repository (`URIs: <base>/`, `Suites: ./`) of the .debs in `dir`. */
export function writeFlatRepository(dir: string): void {
  const stanzas = readdirSync(dir)
    .filter((f) => f.endsWith(".deb"))
    .sort()
    .map((deb) => {
      const file = join(dir, deb);
      const bytes = readFileSync(file);
      const control = runCommand("dpkg-deb", ["--field", file]).trimEnd();
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      return `${control}\nFilename: ./${deb}\nSize: ${bytes.length}\nSHA256: ${sha256}\n`;
    });
  const packages = stanzas.join("\n");
  writeFileSync(join(dir, "Packages"), packages);
  const sha = createHash("sha256").update(packages).digest("hex");
  writeFileSync(
    join(dir, "Release"),
    `Origin: sip-proxy boot test\nLabel: local mirror\nDate: ${new Date().toUTCString()}\nSHA256:\n ${sha} ${Buffer.byteLength(packages)} Packages\n`,
  );
}

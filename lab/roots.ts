// The Debian 13 roots the tests run in, built by lab/debian-root.ts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { INSTANCE_PACKAGES, JOURNAL_EXPORT_COMMAND, JOURNALD_DROPIN } from "../config/platform";
import { OPERATOR_PACKAGES } from "../templates/render";
import { EC2_IMAGE_PACKAGES } from "./ec2-image-packages";
import { currentRoot, ensureRoot, inRootArgv, RootUnavailableError, type RootSpec } from "./debian-root";

/**
 * The instances' Kamailio: the very packages the user-data installs (`apt-get install
 * kamailio`, with Recommends, plus the TLS module), so every config check, SIP test and
 * benchmark runs the binary that is deployed; and systemd's journald and journalctl, for the
 * deployed logging path (syslog to the journal, exported to a file).
 */
export const KAMAILIO_ROOT: RootSpec = {
  name: "kamailio",
  packages: [
    ...INSTANCE_PACKAGES.always,
    ...INSTANCE_PACKAGES.tls,
    "systemd",
    "openssl",
    "ca-certificates",
    "iproute2",
  ],
  revision: 2,
  // As systemd does: syslog() writes to /dev/log, which is journald's socket.
  finish: (root) => symlinkSync("/run/systemd/journal/dev-log", join(root, "dev/log")),
};

/**
 * Debian 13's EC2 image as the boot test needs it: the packages Debian's image carries (see
 * EC2_IMAGE_PACKAGES), none of what it lacks (no Kamailio, no rsyslog, no SSM or CloudWatch
 * agent), apt lists deleted as on a fresh image, and beside it a local mirror of what the
 * user-data installs.
 */
export const EC2_IMAGE_ROOT: RootSpec = {
  name: "ec2-image",
  packages: EC2_IMAGE_PACKAGES,
  recommends: false,
  repository: [...INSTANCE_PACKAGES.always, ...INSTANCE_PACKAGES.tls, ...OPERATOR_PACKAGES],
  revision: 3,
  finish: (root) => {
    rmSync(join(root, "var/lib/apt/lists"), { recursive: true, force: true });
    mkdirSync(join(root, "var/lib/apt/lists/partial"), { recursive: true });
  },
};

export const ROOTS: readonly RootSpec[] = [KAMAILIO_ROOT, EC2_IMAGE_ROOT];

/** Builds or reuses every root (npm run roots; npm test runs it first). */
export function ensureAllRoots(log: (line: string) => void = console.log): void {
  for (const spec of ROOTS) ensureRoot(spec, log);
}

let kamailioRootCache: string | undefined;
/** The Kamailio root chosen by the last `npm run roots`; checked to hold the tested series. */
export function kamailioRoot(): string {
  if (kamailioRootCache) return kamailioRootCache;
  const root = currentRoot(KAMAILIO_ROOT.name);
  if (!existsSync(join(root, "usr/sbin/kamailio"))) {
    throw new RootUnavailableError(`${root} has no /usr/sbin/kamailio: delete it and run \`npm run roots\``);
  }
  kamailioRootCache = root;
  return root;
}

/** argv that runs Kamailio from the root (host temporary folder visible at the same path). */
export function kamailioArgv(args: readonly string[]): string[] {
  return inRootArgv(kamailioRoot(), ["/usr/sbin/kamailio", ...args]);
}

/** `kamcmd` from the same root, talking to a lab Kamailio's ctl socket. */
export function kamcmdArgv(socket: string, args: readonly string[]): string[] {
  return inRootArgv(kamailioRoot(), ["/usr/sbin/kamcmd", "-s", `unix:${socket}`, ...args]);
}

/** journald's rate limit in the lab: as deployed (off), or journald's default (10,000 per 30 s). */
export type JournaldLimit = "deployed" | "journald-default";

/**
 * argv that runs Kamailio logging through journald: journald (from the root, on scratch /run,
 * /var/log and /etc/systemd) receives its syslog lines, and `journalctl --follow` exports them
 * to `exportFile`, as the instances' sip-proxy-kamailio-log service does. Kamailio runs in a
 * cgroup named like its unit, as systemd runs it, so journald applies its per-service rate
 * limit to it ("deployed" writes the instances' journald drop-in, which turns that off). All
 * share a process group: stopping the group stops them. Call removeLabCgroup(pid) afterwards.
 */
export function kamailioWithJournalArgv(
  args: readonly string[],
  exportFile: string,
  limit: JournaldLimit = "deployed",
): string[] {
  const dropin =
    limit === "deployed"
      ? `mkdir -p ${dirname(JOURNALD_DROPIN.path)} && printf '%s' '${JOURNALD_DROPIN.text}' > ${JOURNALD_DROPIN.path}`
      : ":";
  const script = [
    "set -e",
    dropin,
    "mkdir -p /run/systemd/journal",
    "/usr/lib/systemd/systemd-journald &",
    "for _ in $(seq 1 100); do [ -S /run/systemd/journal/dev-log ] && break; sleep 0.05; done",
    `${JOURNAL_EXPORT_COMMAND} >> "$0" &`,
    `CG=/sys/fs/cgroup/${labCgroup("$$")}`,
    'mkdir -p "$CG" && echo $$ > "$CG/cgroup.procs"',
    'exec /usr/sbin/kamailio "$@"',
  ].join("\n");
  return inRootArgv(kamailioRoot(), ["/bin/sh", "-c", script, exportFile, ...args], undefined, [
    "/run",
    "/var/log",
    "/etc/systemd",
    "/sys",
  ]);
}

/** The unit-like cgroup of a lab Kamailio, relative to the cgroup2 root. */
const labCgroup = (pid: number | string) => `sip-proxy-lab-${pid}.slice/kamailio.service`;

/** Removes the (empty) cgroup a journal-logging lab Kamailio ran in. */
export function removeLabCgroup(pid: number): void {
  const mount = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" "))
    .find((fields) => fields[2] === "cgroup2")?.[1];
  if (!mount) return;
  for (const dir of [labCgroup(pid), dirname(labCgroup(pid))]) {
    try {
      rmdirSync(join(mount, dir));
    } catch {
      /* not created, or already gone */
    }
  }
}

/** The first line of `kamailio -v` from the root, e.g. "version: kamailio 6.0.1 (x86_64/linux)". */
export function kamailioVersionLine(): string {
  const [cmd, ...args] = kamailioArgv(["-v"]);
  const result = spawnSync(cmd, args, { encoding: "utf8" });
  return (result.stdout ?? "").split("\n")[0].trim();
}

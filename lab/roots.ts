// The Debian 13 roots the tests run in, built by lab/debian-root.ts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { INSTANCE_PACKAGES, KAMAILIO_SERIES } from "../config/platform";
import { EC2_IMAGE_PACKAGES } from "./ec2-image-packages";
import { currentRoot, ensureRoot, inRootArgv, RootUnavailableError, type RootSpec } from "./debian-root";

/**
 * The instances' Kamailio: the very packages the user-data installs (`apt-get install
 * kamailio`, with Recommends, plus the TLS module), so every config check, SIP test and
 * benchmark runs the binary that is deployed.
 */
export const KAMAILIO_ROOT: RootSpec = {
  name: "kamailio",
  packages: ["kamailio", "kamailio-tls-modules", "openssl", "ca-certificates", "iproute2"],
  revision: 1,
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
  repository: [...INSTANCE_PACKAGES.always, ...INSTANCE_PACKAGES.tls],
  revision: 1,
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

/** The first line of `kamailio -v` from the root, e.g. "version: kamailio 6.0.1 (x86_64/linux)". */
export function kamailioVersionLine(): string {
  const [cmd, ...args] = kamailioArgv(["-v"]);
  const result = spawnSync(cmd, args, { encoding: "utf8" });
  return (result.stdout ?? "").split("\n")[0].trim();
}

export { KAMAILIO_SERIES };

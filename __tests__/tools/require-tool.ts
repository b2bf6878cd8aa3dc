import { spawnSync } from "node:child_process";
import { KAMAILIO_SERIES } from "../../config/platform";
import { kamailioRoot, kamailioVersionLine } from "../../lab/roots";

const INSTALL_HINTS: Record<string, string> = {
  sipp: "apt-get install sip-tester (or run `npm test`, which installs it)",
  shellcheck: "apt-get install shellcheck (or run `npm test`, which installs it)",
  openssl: "apt-get install openssl",
  terraform: "install Terraform >= 1.10 from https://developer.hashicorp.com/terraform/install",
  dot: "apt-get install graphviz (or run `npm test`, which installs it)",
  nft: "apt-get install nftables (or run `npm test`, which installs it)",
  ip: "apt-get install iproute2",
};

/** Fails (never skips) when a tool the test needs is missing, saying how to install it. */
export function requireTool(name: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error(`${name} is not installed: ${INSTALL_HINTS[name] ?? "install it"}`);
  }
}

/**
 * Fails unless the Debian 13 Kamailio root exists and holds the tested series; every test
 * that runs Kamailio calls this instead of looking for a host binary.
 */
export function requireKamailioRoot(): string {
  const root = kamailioRoot();
  const version = kamailioVersionLine();
  if (!version.startsWith(`version: kamailio ${KAMAILIO_SERIES}.`)) {
    throw new Error(`the Kamailio root ${root} reports "${version}", not ${KAMAILIO_SERIES}.x: run \`npm run roots\``);
  }
  return root;
}

// The instances' stats publisher (templates/sip-stats.sh, unchanged) run once against a lab
// Kamailio, as its timer runs it on an instance: the script asks Kamailio over the ctl socket
// and its output goes to the journal as "kamailio" (the unit's SyslogIdentifier, here
// systemd-cat), which the lab's journal export turns into a Kamailio log line like the
// instance's /var/log/kamailio.log. It runs as root here: the lab's runtime directory is root's
// (the boot test runs it as kamailio, against Debian's unit and runtime directory).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STATS_PUBLISHER } from "../templates/render";
import { inRootArgv } from "./debian-root";
import type { RunningKamailio } from "./kamailio";
import { kamailioRoot } from "./roots";

export interface PublisherRun {
  readonly status: number | null;
  /** What it printed where it did not go to the journal (stdout and stderr). */
  readonly output: string;
}

/**
 * Runs the publisher once. "journal" (Kamailio started with logging "journal"): its lines reach
 * kamailio.log(); "stdout": its output is returned. `socket` replaces the Kamailio's own.
 */
export function publishStatsOnce(
  kamailio: Pick<RunningKamailio, "pid" | "controlSocket" | "logging">,
  via: "journal" | "stdout",
  socket = kamailio.controlSocket,
): PublisherRun {
  if (via === "journal" && kamailio.logging !== "journal") {
    throw new Error('publishing through the journal needs a Kamailio started with logging: "journal"');
  }
  const dir = mkdtempSync(join(tmpdir(), "sip-stats-"));
  try {
    // The host's temporary folder is visible at the same path inside the root.
    const script = join(dir, "sip-proxy-stats");
    copyFileSync(STATS_PUBLISHER.script, script);
    const env = ["/usr/bin/env", `SIP_PROXY_KAMCMD=/usr/sbin/kamcmd -s unix:${socket}`];
    const argv =
      via === "journal"
        ? // Kamailio's own mount namespace and root, where the lab's journald listens.
          [
            "nsenter",
            `--target=${kamailio.pid}`,
            "--mount",
            "--root",
            "--wd=/",
            ...env,
            "/usr/bin/systemd-cat",
            "--identifier=kamailio",
            "/bin/bash",
            script,
          ]
        : inRootArgv(kamailioRoot(), [...env, "/bin/bash", script]);
    const result = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 10000 });
    return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

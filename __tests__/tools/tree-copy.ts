// A copy of the project as the working tree has it (tracked and new files, not ignored ones),
// with node_modules linked, for tests that must change the project itself and run its tools.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";

/** Copies the files whose names `keep` accepts into a new temporary folder; returns it. */
export function copyProject(prefix: string, keep: (file: string) => boolean): string {
  const copy = mkdtempSync(join(tmpdir(), prefix));
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  })
    .stdout.split("\0")
    .filter((file) => file && keep(file) && existsSync(join(PROJECT_ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(PROJECT_ROOT, file), join(copy, file));
  }
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  return copy;
}

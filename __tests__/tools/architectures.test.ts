// A third architecture must not build silently as one of the two: adding a name to
// ARCHITECTURES fails type-checking at every place that decides something per architecture.
// The test does it for real, in a copy of the tree, with the project's own tsc.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";
import { copyProject } from "./tree-copy";

jest.setTimeout(180000);

/** Every place that must handle each architecture, as file and what it is. */
const MUST_HANDLE = [
  ["config/schema.ts", "const LOAD_BALANCING:"],
  ["config/schema.ts", "const ARCHITECTURE_FIELD_CHECKS:"],
  ["config/schema.ts", "const ADDRESS_PER_ZONE:"],
  ["config/node-settings.ts", "const DRAINS:"],
  ["stacks/sip-proxy-stack.ts", "const unknown: never"],
  ["scripts/twin.ts", "Rig.start(cfg.architecture"],
] as const;

describe("a third architecture", () => {
  const copy = copyProject("architectures-", (file) => /\.(ts|json)$/.test(file));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("does not type-check until every place that decides per architecture handles it", () => {
    const schema = join(copy, "config/schema.ts");
    const original = readFileSync(schema, "utf8");
    const widened = original.replace(
      'export const ARCHITECTURES = ["single", "load-balanced"] as const;',
      'export const ARCHITECTURES = ["single", "load-balanced", "third"] as const;',
    );
    expect(widened).not.toBe(original);

    const tsc = () =>
      spawnSync(join(PROJECT_ROOT, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], {
        cwd: copy,
        encoding: "utf8",
      });
    // The copy type-checks as it is, so every error below comes from the new name.
    expect(tsc().status).toBe(0);
    writeFileSync(schema, widened);
    const result = tsc();
    expect(result.status).not.toBe(0);

    const errors = [...result.stdout.matchAll(/^([\w/.-]+)\((\d+),\d+\): error/gm)].map(([, file, line]) => ({
      file,
      line: Number(line),
    }));
    for (const [file, marker] of MUST_HANDLE) {
      const lines = readFileSync(join(copy, file), "utf8").split("\n");
      const at = lines.findIndex((l) => l.includes(marker)) + 1;
      expect({ file, marker, at: at > 0 }).toEqual({ file, marker, at: true });
      // The error is on the declaration, or on the next few lines of it.
      const hit = errors.some((e) => e.file === file && e.line >= at && e.line <= at + 3);
      expect({ file, marker, hit }).toEqual({ file, marker, hit: true });
    }
  });
});

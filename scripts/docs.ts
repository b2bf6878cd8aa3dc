// npm run docs [-- --check]
// Rewrites the README's generated sections (scripts/lib/readme-sections.ts) from the code
// they document; --check only says whether they are current, for a hook or a pipeline.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand, type CommandSpec, type ParsedCommand } from "./lib/cli";
import { GENERATED_SECTIONS, ReadmeSectionError, refreshReadme } from "./lib/readme-sections";
import { PROJECT_ROOT } from "./lib/terraform";

const SPEC: CommandSpec = {
  command: "npm run docs",
  summary: `Rewrites the README's generated sections from the code they document: ${GENERATED_SECTIONS.map((s) => `the ${s.name} (${s.source})`).join(", ")}. Exit 1 with --check when one is stale.`,
  options: {
    check: { type: "boolean", description: "write nothing; exit 1 if a section differs from the code" },
  },
  examples: ["npm run docs", "npm run docs -- --check"],
};

function main({ values }: ParsedCommand): number {
  const file = join(PROJECT_ROOT, "README.md");
  const current = readFileSync(file, "utf8");
  let refreshed: string;
  try {
    refreshed = refreshReadme(current);
  } catch (error) {
    if (!(error instanceof ReadmeSectionError)) throw error;
    console.error(error.message);
    return 1;
  }
  const names = GENERATED_SECTIONS.map((s) => s.name).join(", ");
  if (refreshed === current) {
    console.log(`README.md: ${names} up to date`);
    return 0;
  }
  if (values.check) {
    console.error(`README.md: ${names} differ from the code; run \`npm run docs\``);
    return 1;
  }
  writeFileSync(file, refreshed);
  console.log(`README.md: ${names} rewritten`);
  return 0;
}

runCommand(SPEC, main);

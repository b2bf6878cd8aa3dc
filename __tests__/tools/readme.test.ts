// The README, checked against the code: every command in its code blocks exists and answers
// --help (the harmless ones run for real, exactly as written), and the resource counts it
// quotes are what synth makes today.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { environments } from "../../config/environments";
import { resourceAddresses, stateAddresses, synthesizeToMemory } from "../../scripts/lib/stack-json";
import { refreshReadme } from "../../scripts/lib/readme-sections";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";
import { COMMANDS, invoke, PACKAGE_SCRIPTS } from "./run-command";

jest.setTimeout(240000);

const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
/** Lines inside fenced code blocks. */
const codeLines = readme
  .split(/^```.*$/m)
  .filter((_, i) => i % 2 === 1)
  .flatMap((block) => block.split("\n"))
  .map((line) => line.replace(/^\$ /, "").trim());

const npmRuns = [
  ...new Set(
    codeLines.flatMap((l) => [...l.matchAll(/npm run ([\w:-]+)(?: -- ([^#|&;]*))?/g)].map((m) => m[0].trim())),
  ),
];
/** Commands the README shows that only print (no AWS, no root, no files outside scratch). */
const SAFE = ["render"];

describe("README commands", () => {
  it("finds the commands in the code blocks", () => {
    expect(npmRuns.length).toBeGreaterThan(10);
  });

  // That each command answers --help is commands.test.ts's to check, for every command at once.
  it.each(npmRuns.map((line) => [line]))("%s: the command exists", async (line) => {
    const name = /npm run ([\w:-]+)/.exec(line)![1];
    expect(PACKAGE_SCRIPTS).toHaveProperty(name);
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) return; // tooling (test, lint): npm runs it as written
    const args = /npm run [\w:-]+ -- (.*)$/.exec(line)?.[1]?.trim();
    if (SAFE.includes(name) && args && !/[<>]/.test(args)) {
      const real = await invoke(command.program, args.split(/\s+/));
      expect({ line, code: real.code, stderr: real.stderr.replace(/^npm warn .*\n/gm, "") }).toEqual({
        line,
        code: 0,
        stderr: "",
      });
    }
  });

  const cdktf = [...new Set(codeLines.flatMap((l) => [...l.matchAll(/npx cdktf (\w+)/g)].map((m) => m[1])))];
  it.each(cdktf.map((sub) => [sub]))("npx cdktf %s exists in the pinned cdktf-cli", (sub) => {
    const help = spawnSync(join(PROJECT_ROOT, "node_modules", ".bin", "cdktf"), [sub, "--help"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_DISABLE_PLUGIN_CACHE_ENV: "1" },
    });
    expect({ status: help.status, text: help.stdout.slice(0, 200) }).toEqual({
      status: 0,
      text: expect.stringContaining(`cdktf ${sub}`),
    });
  });
});

const stacks = synthesizeToMemory(environments);

describe("figures the README quotes", () => {
  it("has the generated sections as the code declares them today (npm run docs)", () => {
    const fresh = refreshReadme(readme);
    const changed = fresh.split("\n").filter((line, i) => line !== readme.split("\n")[i]);
    expect({ stale: changed.slice(0, 3), hint: fresh === readme ? "" : "run npm run docs" }).toEqual({
      stale: [],
      hint: "",
    });
  });

  it("says how many resources each environment synthesizes and exports", () => {
    const quoted = [
      ...readme.matchAll(/synthesized sip-proxy-(\w+) \([\w-]+, (\d+) resources\)/g),
      ...readme.matchAll(/exported sip-proxy-(\w+) \((\d+) resources\)/g),
    ];
    expect(quoted.length).toBeGreaterThanOrEqual(environments.length);
    for (const [text, name, count] of quoted) {
      expect({ text, count: Number(count) }).toEqual({ text, count: resourceAddresses(stacks.get(name)!).length });
    }
  });

  it("says how many addresses the rehearsal's state holds", () => {
    const quoted = [...readme.matchAll(/\[(\w+) +\d+ s\] destroy: refused .*; state still holds (\d+) resources/g)];
    expect(quoted.length).toBeGreaterThan(0);
    for (const [text, name, count] of quoted) {
      expect({ text, count: Number(count) }).toEqual({ text, count: stateAddresses(stacks.get(name)!).length });
    }
  });
});

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .trim()
    .replace(/\s/g, "-");

describe("finding one's way at 3 a.m.", () => {
  const headings = [...readme.matchAll(/^(#{2,4}) (.+)$/gm)];
  const anchors = new Set(headings.map(([, , text]) => anchorOf(text)));
  const onCall = readme.slice(readme.indexOf("## On call"), readme.indexOf("## Contents"));

  it("links only to headings that exist", () => {
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(20);
    expect(links.filter((l) => !anchors.has(l))).toEqual([]);
  });

  it("lists every section in the contents", () => {
    const contents = readme.slice(readme.indexOf("## Contents"), readme.indexOf("## Quick start"));
    const sections = headings
      .filter(([, level, text]) => level === "##" && !["On call", "Contents"].includes(text))
      .map(([, , text]) => anchorOf(text));
    expect(sections.filter((a) => !contents.includes(`(#${a})`))).toEqual([]);
  });

  it("has every alarm of every environment in the on-call index, with a place to go", () => {
    const alarms = new Set(
      [...stacks.entries()].flatMap(([name, json]) =>
        Object.values((json.resource?.aws_cloudwatch_metric_alarm ?? {}) as Record<string, { alarm_name: string }>).map(
          (a) => a.alarm_name.replace(`sip-proxy-${name}-`, ""),
        ),
      ),
    );
    expect(alarms.size).toBeGreaterThan(8);
    for (const alarm of alarms) expect(onCall).toMatch(new RegExp(`^\\| \`${alarm}\` \\|.*\\]\\(#[^)]+\\) \\|$`, "m"));
  });
});

// npm run diagram -- <env> [--out <file.svg>]
// Draws the environment's resources and their references, from `terraform graph` (offline,
// in a scratch copy) through Graphviz: docs/architecture-<env>.svg and a .png beside it.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { EnvironmentFile } from "../config/environments";
import { runCommand, UsageError, type CommandSpec, type ParsedCommand } from "./lib/cli";
import { withSynthesizedStacks } from "./lib/stack-json";
import { parseTerraformGraph, simplify, toDot } from "./lib/diagram";
import {
  OFFLINE_AWS_ENV,
  PROJECT_ROOT,
  initOffline,
  offlineWorkdirFromFolder,
  terraform,
  terraformEnv,
} from "./lib/terraform";

/** A step of drawing failed (terraform or Graphviz): its output says why. */
class DrawingError extends Error {}

function render(dot: string, format: "svg" | "png", file: string): void {
  const run = spawnSync("dot", [`-T${format}`, "-o", file], { input: dot, encoding: "utf8" });
  if (run.error)
    throw new DrawingError("Graphviz `dot` is not installed: apt-get install graphviz (or run `npm test`)");
  if (run.status !== 0) throw new DrawingError(`dot -T${format} failed:\n${run.stderr}`);
}

function draw(chosen: EnvironmentFile, svgFile: string): string {
  const name = String(chosen.input.name);
  return withSynthesizedStacks([chosen.input], ([{ cfg, dir: synthesized }]) => {
    const env = terraformEnv(OFFLINE_AWS_ENV);
    const dir = offlineWorkdirFromFolder(synthesized, cfg.stackName, "diagram");
    const init = initOffline(dir, env);
    if (init.status !== 0) throw new DrawingError(`terraform init failed:\n${init.stdout}${init.stderr}`);
    const graph = terraform(["graph"], dir, env);
    if (graph.status !== 0) throw new DrawingError(`terraform graph failed:\n${graph.stderr}`);

    const picture = simplify(parseTerraformGraph(graph.stdout));
    const dot = toDot(picture, `${cfg.stackName} (${cfg.architecture})   npm run diagram -- ${name}`);
    mkdirSync(dirname(svgFile), { recursive: true });
    const pngFile = svgFile.replace(/\.svg$/, "") + ".png";
    render(dot, "svg", svgFile);
    render(dot, "png", pngFile);
    const shown = (f: string) => relative(process.cwd(), f);
    return `${cfg.stackName}: ${picture.nodes.length} resources, ${picture.edges.length} connections -> ${shown(svgFile)}, ${shown(pngFile)}`;
  });
}

const SPEC: CommandSpec = {
  command: "npm run diagram",
  summary:
    "Draws an environment's resources and their references, from `terraform graph` (offline, in a scratch copy) through Graphviz: docs/architecture-<env>.svg and a .png beside it.",
  environments: "one",
  options: {
    out: { type: "string", value: "<file.svg>", description: "where to write (default docs/architecture-<env>.svg)" },
  },
  examples: ["npm run diagram -- dev", "npm run diagram -- prod --out /tmp/prod.svg"],
};

function main({ values, environments: [chosen] }: ParsedCommand): number {
  const out = values.out as string | undefined;
  if (out && !out.endsWith(".svg")) throw new UsageError(`--out must name an .svg file, not "${out}"`);
  const file = resolve(out ?? join(PROJECT_ROOT, "docs", `architecture-${String(chosen.input.name)}.svg`));
  try {
    console.log(draw(chosen, file));
    return 0;
  } catch (error) {
    if (error instanceof DrawingError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

runCommand(SPEC, main);

// npm run diagram -- [<env> ...] [--graph] [--out <file.svg>]
// The network picture of each environment, from its synthesized stack: source Twilio -> the
// addresses to dial -> the proxies -> the addresses the destination whitelists -> destination
// Twilio (docs/network-<env>.svg; scripts/lib/network-model.ts, scripts/lib/network-picture.ts).
// With --graph, the reviewer's view instead: the resources and their references, from
// `terraform graph` (offline, in a scratch copy) through Graphviz: docs/architecture-<env>.svg
// and a .png beside it.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { EnvironmentFile } from "../config/environments";
import { runCommand, UsageError, type CommandSpec, type ParsedCommand } from "./lib/cli";
import { withSynthesizedStacks } from "./lib/stack-json";
import { parseTerraformGraph, simplify, toDot } from "./lib/diagram";
import { networkModel, PictureError } from "./lib/network-model";
import { networkSvg } from "./lib/network-picture";
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

/** Network pictures of the chosen environments, synthesized together; one line per picture. */
function drawNetwork(chosen: readonly EnvironmentFile[], fileFor: (name: string) => string): string[] {
  return withSynthesizedStacks(
    chosen.map((c) => c.input),
    (stacks) =>
      stacks.map(({ cfg, json }) => {
        const model = networkModel(cfg, json);
        const file = fileFor(cfg.name);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, networkSvg(model));
        const zones = new Set(model.proxies.zones.map((z) => z.zone)).size;
        return `${cfg.stackName}: ${zones} zone${zones === 1 ? "" : "s"}, ${model.dial.length} to dial, ${model.whitelist.length} to whitelist -> ${relative(process.cwd(), file)}`;
      }),
  );
}

const SPEC: CommandSpec = {
  command: "npm run diagram",
  summary:
    "Draws each environment's network picture from its synthesized stack: source Twilio, the addresses to dial, the proxies (zones, min..max), the addresses the destination whitelists, destination Twilio (docs/network-<env>.svg; all environments when none is named). --graph draws the Terraform dependency graph instead (docs/architecture-<env>.svg and .png, through Graphviz).",
  environments: "any",
  options: {
    graph: {
      type: "boolean",
      description: "the reviewer's view: resources and references from `terraform graph` (needs Graphviz `dot`)",
    },
    out: {
      type: "string",
      value: "<file.svg>",
      description: "where to write, for one environment (default docs/network-<env>.svg, or architecture-<env>.svg)",
    },
  },
  examples: [
    "npm run diagram",
    "npm run diagram -- prod",
    "npm run diagram -- staging --graph",
    "npm run diagram -- dev --out /tmp/dev.svg",
  ],
};

function main({ values, environments: chosen }: ParsedCommand): number {
  const out = values.out as string | undefined;
  if (out && !out.endsWith(".svg")) throw new UsageError(`--out must name an .svg file, not "${out}"`);
  if (out && chosen.length !== 1) throw new UsageError("--out writes one picture: name one environment");
  const fileFor = (name: string, kind: "network" | "architecture") =>
    resolve(out ?? join(PROJECT_ROOT, "docs", `${kind}-${name}.svg`));
  try {
    if (values.graph) {
      for (const env of chosen) console.log(draw(env, fileFor(String(env.input.name), "architecture")));
    } else {
      for (const line of drawNetwork(chosen, (name) => fileFor(name, "network"))) console.log(line);
    }
    return 0;
  } catch (error) {
    if (error instanceof DrawingError || error instanceof PictureError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

runCommand(SPEC, main);

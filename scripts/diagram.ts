// npm run diagram -- <env> [--out <file.svg>]
// Draws the environment's resources and their references, from `terraform graph` (offline,
// in a scratch copy) through Graphviz: docs/architecture-<env>.svg and a .png beside it.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { environments } from "../config/environments";
import { ConfigError } from "../config/schema";
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

function render(dot: string, format: "svg" | "png", file: string): void {
  const run = spawnSync("dot", [`-T${format}`, "-o", file], { input: dot, encoding: "utf8" });
  if (run.error) throw new Error("Graphviz `dot` is not installed: apt-get install graphviz (or run `npm test`)");
  if (run.status !== 0) throw new Error(`dot -T${format} failed:\n${run.stderr}`);
}

function draw(name: string, svgFile: string): string {
  return withSynthesizedStacks(
    environments.filter((e) => e.name === name),
    ([{ cfg, dir: synthesized }]) => {
      const env = terraformEnv(OFFLINE_AWS_ENV);
      const dir = offlineWorkdirFromFolder(synthesized, cfg.stackName, "diagram");
      const init = initOffline(dir, env);
      if (init.status !== 0) throw new Error(`terraform init failed:\n${init.stdout}${init.stderr}`);
      const graph = terraform(["graph"], dir, env);
      if (graph.status !== 0) throw new Error(`terraform graph failed:\n${graph.stderr}`);

      const picture = simplify(parseTerraformGraph(graph.stdout));
      const dot = toDot(picture, `${cfg.stackName} (${cfg.architecture})   npm run diagram -- ${name}`);
      mkdirSync(dirname(svgFile), { recursive: true });
      const pngFile = svgFile.replace(/\.svg$/, "") + ".png";
      render(dot, "svg", svgFile);
      render(dot, "png", pngFile);
      const shown = (f: string) => relative(process.cwd(), f);
      return `${cfg.stackName}: ${picture.nodes.length} resources, ${picture.edges.length} connections -> ${shown(svgFile)}, ${shown(pngFile)}`;
    },
  );
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: "string" } },
  });
  const names = environments.map((e) => e.name);
  if (positionals.length !== 1 || !names.includes(positionals[0]) || (values.out && !values.out.endsWith(".svg"))) {
    console.error(
      `usage: npm run diagram -- <${names.join("|")}> [--out <file.svg>]   (default docs/architecture-<env>.svg)`,
    );
    return 2;
  }
  const name = positionals[0];
  try {
    console.log(draw(name, resolve(values.out ?? join(PROJECT_ROOT, "docs", `architecture-${name}.svg`))));
    return 0;
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : (error as Error).message);
    return 1;
  }
}

process.exit(main(process.argv.slice(2)));

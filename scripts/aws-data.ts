// npm run aws-data: regenerates config/aws-data.json (regions and x86_64 instance types the
// config accepts) from the moto root that `npm run roots` built.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { awsDataFromMotoRoot, serializeAwsData } from "./lib/aws-data";
import { currentMotoRoot } from "./lib/moto";
import { PROJECT_ROOT } from "./lib/terraform";
import { runCommand, type CommandSpec } from "./lib/cli";

const SPEC: CommandSpec = {
  command: "npm run aws-data",
  summary:
    "Regenerates config/aws-data.json (the regions and x86_64 instance types the config accepts) from the moto root that npm run roots built.",
  examples: ["npm run roots && npm run aws-data"],
};

runCommand(SPEC, () => {
  const { root, version } = currentMotoRoot();
  const data = awsDataFromMotoRoot(root, version);
  writeFileSync(join(PROJECT_ROOT, "config", "aws-data.json"), serializeAwsData(data));
  console.log(
    `config/aws-data.json: ${data.regions.length} regions, ${data.x86_64InstanceTypes.length} x86_64 instance types (${data.source})`,
  );
  return 0;
});

// config/aws-data.json (the regions and x86_64 instance types the config accepts) is what
// `npm run aws-data` generates from the moto root's bundled EC2 data, byte for byte.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { awsDataFromMotoRoot, serializeAwsData } from "../../scripts/lib/aws-data";
import { currentMotoRoot } from "../../scripts/lib/moto";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";

describe("config/aws-data.json", () => {
  it("equals what npm run aws-data generates from the current moto root", () => {
    const { root, version } = currentMotoRoot();
    const committed = readFileSync(join(PROJECT_ROOT, "config", "aws-data.json"), "utf8");
    // On a difference: run `npm run aws-data`, review the added and removed names, commit.
    expect(committed).toBe(serializeAwsData(awsDataFromMotoRoot(root, version)));
  });
});

// The EC2 regions and x86_64 instance types the config accepts, generated from the data moto
// bundles (moto/ec2/resources/instance_types.json.gz and instance_type_offerings/region/, which
// moto's maintainers refresh from AWS's DescribeInstanceTypes and DescribeInstanceTypeOfferings).
// `npm run aws-data` rewrites config/aws-data.json from the moto root; a test in the rehearsal
// layer regenerates it and fails when the committed file differs.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export interface AwsData {
  /** Which moto package the data came from. */
  readonly source: string;
  readonly regions: readonly string[];
  readonly x86_64InstanceTypes: readonly string[];
}

const RESOURCES = "usr/lib/python3/dist-packages/moto/ec2/resources";

export function awsDataFromMotoRoot(root: string, motoVersion: string): AwsData {
  const dir = join(root, RESOURCES);
  const types = JSON.parse(gunzipSync(readFileSync(join(dir, "instance_types.json.gz"))).toString()) as Record<
    string,
    { ProcessorInfo?: { SupportedArchitectures?: string[] } }
  >;
  const x86 = Object.entries(types)
    .filter(([, t]) => t.ProcessorInfo?.SupportedArchitectures?.includes("x86_64"))
    .map(([name]) => name)
    .sort();
  const regions = readdirSync(join(dir, "instance_type_offerings", "region"))
    .filter((f) => f.endsWith(".json.gz"))
    .map((f) => f.replace(/\.json\.gz$/, ""))
    .sort();
  return { source: `python3-moto ${motoVersion}, ${RESOURCES}`, regions, x86_64InstanceTypes: x86 };
}

export const serializeAwsData = (data: AwsData) => `${JSON.stringify(data, null, 2)}\n`;

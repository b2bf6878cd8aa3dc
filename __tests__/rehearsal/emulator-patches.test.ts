// The emulator answers as EC2 does where moto 5.2.4 does not and a rehearsal met the
// difference (scripts/lib/moto.ts, SERVER_SCRIPT): each behaviour asked of moto's own server
// over EC2's query API, as the provider asks it.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { currentMotoRoot, startMoto, type MotoServer } from "../../scripts/lib/moto";
import { SCRATCH_DIR } from "../../scripts/lib/terraform";

jest.setTimeout(3 * 60 * 1000);

const root = join(SCRATCH_DIR, "rehearsal", "emulator-patches");

describe("the emulator, where moto differs from EC2", () => {
  let server: MotoServer;
  beforeAll(async () => {
    rmSync(root, { recursive: true, force: true });
    const { root: motoRoot, version } = currentMotoRoot();
    server = await startMoto(motoRoot, version, join(root, "moto.log"));
  });
  afterAll(async () => server?.stop());

  /**
   * One EC2 query API call. moto tells the service and region from the Authorization
   * header's credential scope and checks no signature (as in scripts/lib/moto.ts).
   */
  async function ec2(action: string, params: Record<string, string>): Promise<{ status: number; body: string }> {
    const response = await fetch(server.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Authorization: `AWS4-HMAC-SHA256 Credential=AKIAOFFLINEMOCK00000/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      },
      body: new URLSearchParams({ Action: action, Version: "2016-11-15", ...params }).toString(),
    });
    return { status: response.status, body: await response.text() };
  }
  const first = (body: string, tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(body)?.[1];

  async function vpcId(): Promise<string> {
    const created = await ec2("CreateVpc", { CidrBlock: "10.0.0.0/16" });
    expect(created.status).toBe(200);
    return first(created.body, "vpcId")!;
  }

  const flowLog = (vpc: string, token: string) => ({
    "ResourceId.1": vpc,
    ResourceType: "VPC",
    TrafficType: "REJECT",
    LogDestinationType: "cloud-watch-logs",
    LogGroupName: `/sip-proxy/${vpc}/vpc-flow-logs`,
    DeliverLogsPermissionArn: "arn:aws:iam::123456789012:role/flow-logs",
    ClientToken: token,
  });

  it("answers a CreateFlowLogs repeated with its ClientToken as the first time (EC2's idempotency)", async () => {
    const vpc = await vpcId();
    const once = await ec2("CreateFlowLogs", flowLog(vpc, "token-a"));
    const again = await ec2("CreateFlowLogs", flowLog(vpc, "token-a"));
    expect({ status: again.status, id: first(again.body, "item") }).toEqual({
      status: 200,
      id: first(once.body, "item"),
    });
    const described = await ec2("DescribeFlowLogs", { "Filter.1.Name": "resource-id", "Filter.1.Value.1": vpc });
    expect(described.body.match(/<flowLogId>/g)).toHaveLength(1);
  });

  it("still refuses the same flow log asked for again under a new token (FlowLogAlreadyExists)", async () => {
    const vpc = await vpcId();
    expect((await ec2("CreateFlowLogs", flowLog(vpc, "token-b"))).status).toBe(200);
    const duplicate = await ec2("CreateFlowLogs", flowLog(vpc, "token-c"));
    expect({ status: duplicate.status, code: first(duplicate.body, "Code") }).toEqual({
      status: 400,
      code: "FlowLogAlreadyExists",
    });
  });

  it("answers the delete of a network ACL entry that is not there with InvalidNetworkAclEntry.NotFound", async () => {
    const vpc = await vpcId();
    const acls = await ec2("DescribeNetworkAcls", { "Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpc });
    const acl = first(acls.body, "networkAclId")!;
    const missing = await ec2("DeleteNetworkAclEntry", { NetworkAclId: acl, RuleNumber: "4242", Egress: "false" });
    expect({ status: missing.status, code: first(missing.body, "Code") }).toEqual({
      status: 400,
      code: "InvalidNetworkAclEntry.NotFound",
    });
  });
});

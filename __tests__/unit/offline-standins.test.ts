// Offline plans (npm run plan, npm run diff -- --offline, the terraform test layer) run with
// mock credentials and must never reach AWS. Terraform reads data sources at every plan, even
// with -refresh=false, so an offline copy replaces each lookup with a stand-in value.
import { withOfflineStandIns, withOfflineStandInsHcl } from "../../scripts/lib/terraform";

const stack = {
  provider: { aws: [{ region: "us-east-1" }] },
  data: {
    aws_route53_zone: { dns_zone: { name: "example.net", private_zone: false } },
    aws_caller_identity: { me: {} },
  },
  resource: {
    aws_route53_record: {
      dns: {
        zone_id: "${data.aws_route53_zone.dns_zone.zone_id}",
        name: "sip.example.net",
        records: ["${aws_eip.a.public_ip}"],
      },
    },
  },
  output: { who: { value: "${data.aws_caller_identity.me.account_id}" } },
};

describe("an offline copy of a stack", () => {
  it("replaces the hosted-zone lookup with a stand-in id and drops the data block", () => {
    const offline = withOfflineStandIns(stack) as typeof stack;
    expect(offline.resource.aws_route53_record.dns).toEqual({
      zone_id: "Z0OFFLINESTANDIN",
      name: "sip.example.net",
      records: ["${aws_eip.a.public_ip}"],
    });
    expect(JSON.stringify(offline)).not.toContain("aws_route53_zone");
  });

  it("keeps data sources it has no stand-in for, and everything else, as they were", () => {
    const offline = withOfflineStandIns(stack) as typeof stack;
    expect(offline.data).toEqual({ aws_caller_identity: { me: {} } });
    expect(offline.output).toEqual(stack.output);
    expect(offline.provider).toEqual(stack.provider);
    expect(withOfflineStandIns({ resource: stack.resource })).toEqual({ resource: stack.resource });
  });

  it("refuses an attribute of the lookup that has no stand-in instead of planning it", () => {
    const odd = { ...stack, output: { ns: { value: "${data.aws_route53_zone.dns_zone.name_servers}" } } };
    expect(() => withOfflineStandIns(odd)).toThrow(/no offline stand-in for aws_route53_zone\.name_servers/);
  });
});

describe("an offline copy of an HCL export", () => {
  const hcl = `# construct sip-proxy-prod/dns/zone
data "aws_route53_zone" "dns_zone" {
  name         = "example.net"
  private_zone = false
}

resource "aws_route53_record" "dns" {
  name    = "sip.example.net"
  zone_id = data.aws_route53_zone.dns_zone.zone_id
}

output "zone" {
  value = "zone \${data.aws_route53_zone.dns_zone.zone_id}"
}
`;

  it("drops the lookup block and replaces bare and interpolated references", () => {
    const offline = withOfflineStandInsHcl(hcl);
    expect(offline).not.toContain("data.aws_route53_zone");
    expect(offline).not.toContain('data "aws_route53_zone"');
    expect(offline).toContain('  zone_id = "Z0OFFLINESTANDIN"\n');
    expect(offline).toContain('  value = "zone Z0OFFLINESTANDIN"\n');
    expect(offline).toContain('resource "aws_route53_record" "dns" {');
  });

  it("refuses an attribute of the lookup that has no stand-in", () => {
    expect(() => withOfflineStandInsHcl(`x = data.aws_route53_zone.dns_zone.name_servers\n`)).toThrow(
      /no offline stand-in for aws_route53_zone\.name_servers/,
    );
  });
});

// Issue 14, item 4: ingress that survives a zone. A multi-zone load-balanced environment has
// one NLB Elastic IP per zone; Twilio dials, and Kamailio advertises (Via, Record-Route), a
// DNS name whose A record lists all of them, never the first zone's address alone.
import { Testing, TerraformStack } from "cdktf";
import { environments } from "../../config/environments";
import { PLACEHOLDER_HOSTED_ZONE } from "../../config/dns";
import { nodeSettingsFor } from "../../config/node-settings";
import { environmentWarnings, parseEnvironment, type EnvironmentInput } from "../../config/schema";
import { ConstructError } from "../../constructs/construct-error";
import { SipAutoscaling } from "../../constructs/sip-autoscaling";
import { deployedUserData, stateAddresses } from "../../scripts/lib/stack-json";
import { REVIEWED_ADDRESSES } from "../../stacks/state-addresses";
import { loadBalancedInput, validInput } from "../fixtures/environments";
import { onlyResource, rejection, synthEnvironment } from "../helpers";

const byName = (name: string) => environments.find((e) => e.name === name)!;

/** Two zones, load-balanced, with whatever `dns` the case gives (undefined: none). */
const twoZones = (dns: EnvironmentInput["dns"]): EnvironmentInput => ({ ...loadBalancedInput, dns });
const advertised = (userData: string) => /#!substdef "!ADVERTISED_ADDRESS!(.*)!g"/.exec(userData)?.[1];

describe("the ingress name in the config", () => {
  it("is required for a load-balanced environment in more than one zone, naming the fix", () => {
    const error = rejection(twoZones(undefined));
    expect(error.paths).toEqual(["dns"]);
    expect(error.message).toContain('Environment "lbtest"');
    expect(error.message).toContain("dns = (missing)");
    expect(error.message).toContain("load-balanced environment in 2 zones");
    expect(error.message).toContain('Fix: add dns: { name: "sip.lbtest.<your zone>", hostedZone:');
  });

  it("needs a zone in more than one zone, so that the stack keeps the record of every address", () => {
    const error = rejection(twoZones({ name: "sip.lbtest.voice-fixture.net" }));
    expect(error.paths).toEqual(["dns.hostedZone"]);
    expect(error.issues[0].fix).toContain('add hostedZone: "<the public Route 53 zone that holds');
  });

  it("refuses a zone given both by name and by id", () => {
    const error = rejection(
      twoZones({ name: "sip.lbtest.voice-fixture.net", hostedZone: "voice-fixture.net", hostedZoneId: "Z0ABC" }),
    );
    expect(error.paths).toEqual(["dns.hostedZoneId"]);
    expect(error.issues[0].fix).toBe("keep one: hostedZone (looked up by name) or hostedZoneId");
  });

  it.each([
    ["a name outside the zone", { name: "sip.lbtest.example.com", hostedZone: "voice-fixture.net" }, "dns.name"],
    [
      "a name that only ends like the zone",
      { name: "sip.myvoice-fixture.net", hostedZone: "voice-fixture.net" },
      "dns.name",
    ],
    [
      "a zone that is not a host name",
      { name: "sip.lbtest.voice-fixture.net", hostedZone: "voice-fixture.net." },
      "dns.hostedZone",
    ],
    [
      "a name that is not a host name",
      { name: "sip_lbtest.voice-fixture.net", hostedZone: "voice-fixture.net" },
      "dns.name",
    ],
  ] as const)("rejects %s", (_label, dns, path) => {
    const error = rejection(twoZones(dns));
    expect(error.paths).toEqual([path]);
    expect(error.message).toMatch(/Fix: \S/);
  });

  it("accepts the zone's apex and a name deeper in the zone", () => {
    for (const name of ["voice-fixture.net", "a.b.sip.voice-fixture.net"]) {
      expect(parseEnvironment(twoZones({ name, hostedZone: "voice-fixture.net" })).dns?.name).toBe(name);
    }
  });

  it("stays optional in one zone and for the single architecture", () => {
    expect(parseEnvironment(byName("staging")).dns).toBeUndefined();
    expect(parseEnvironment(byName("dev")).dns).toBeUndefined();
    const named = { name: "sip.test.voice-fixture.net", hostedZone: "voice-fixture.net" };
    expect(parseEnvironment({ ...byName("staging"), dns: named }).dns).toEqual(named);
    expect(parseEnvironment({ ...validInput, dns: named }).dns).toEqual(named);
  });

  it("ships prod with a placeholder zone that synth warns about and next_steps names", () => {
    const prod = parseEnvironment(byName("prod"));
    expect(prod.dns).toEqual({ name: `sip.prod.${PLACEHOLDER_HOSTED_ZONE}`, hostedZone: PLACEHOLDER_HOSTED_ZONE });
    expect(environmentWarnings(prod)).toContainEqual(
      expect.stringMatching(/^prod: dns\.hostedZone is the placeholder "example\.net" .*RFC 2606/),
    );
    const steps = String(synthEnvironment(byName("prod")).json.output?.next_steps.value).split("\n");
    expect(steps[1]).toMatch(
      /^2\. Replace the placeholder zone "example\.net" in dns \(config\/environments\/prod\.ts\)/,
    );
    expect(environmentWarnings(parseEnvironment(loadBalancedInput)).join("\n")).not.toContain("dns.hostedZone");
  });
});

describe("the ingress name in the prod stack", () => {
  const prod = synthEnvironment(byName("prod"));
  const nlbIps = ["us_east_1a", "us_east_1b", "us_east_1c"].map((z) => `\${aws_eip.proxy_nlb_${z}.public_ip}`);

  it("keeps one A record that lists every NLB Elastic IP, with a short TTL", () => {
    expect(onlyResource(prod.json, "aws_route53_record")).toMatchObject({
      name: "sip.prod.example.net",
      type: "A",
      ttl: 60,
      records: nlbIps,
      zone_id: "${data.aws_route53_zone.dns_zone.zone_id}",
    });
  });

  it("looks the public zone up by name", () => {
    expect(prod.json.data?.aws_route53_zone?.dns_zone).toMatchObject({ name: "example.net", private_zone: false });
  });

  it("makes Kamailio advertise the name, and Twilio dial it", () => {
    expect(advertised(deployedUserData(prod.json))).toBe("sip.prod.example.net");
    expect(prod.json.output?.twiml.value).toBe(
      "<Response><Dial><Sip>sip:EXTENSION@sip.prod.example.net:5060</Sip></Dial></Response>",
    );
    const steps = String(prod.json.output?.next_steps.value);
    expect(steps).toContain(`Check that sip.prod.example.net resolves to every NLB Elastic IP`);
    for (const ip of nlbIps) expect(steps).toContain(ip);
  });

  it("leaves one-zone and single-instance environments advertising their Elastic IP", () => {
    const staging = synthEnvironment(byName("staging"));
    const dev = synthEnvironment(byName("dev"));
    expect(advertised(deployedUserData(staging.json))).toBe("${aws_eip.proxy_nlb_us_east_1a.public_ip}");
    expect(advertised(deployedUserData(dev.json))).toBe("${aws_eip.proxy_ingress.public_ip}");
    for (const stack of [staging, dev]) {
      expect(stack.json.resource?.aws_route53_record).toBeUndefined();
      expect(stack.json.data).toBeUndefined();
    }
  });

  it("reviews the record and the zone lookup as prod state addresses", () => {
    expect(stateAddresses(prod.json)).toEqual(REVIEWED_ADDRESSES.prod);
    expect(REVIEWED_ADDRESSES.prod).toEqual(
      expect.arrayContaining(["aws_route53_record.dns", "data.aws_route53_zone.dns_zone"]),
    );
  });
});

describe("SipAutoscaling", () => {
  it("refuses several zones without an advertised name, whatever the config allowed", () => {
    const cfg = parseEnvironment(loadBalancedInput);
    const build = () =>
      new SipAutoscaling(new TerraformStack(Testing.app(), "construct-only"), "proxy", {
        namePrefix: "x",
        vpcId: "vpc-1",
        vpcCidr: "10.0.0.0/16",
        allowedSipCidrs: cfg.allowedSourceCidrs,
        node: nodeSettingsFor(cfg),
        instanceType: cfg.instanceType,
        rootVolumeGb: cfg.rootVolumeGb,
        imageId: cfg.imageId,
        protectAddresses: true,
        minSize: 2,
        desiredCapacity: 2,
        maxSize: 4,
        healthCheckGraceSeconds: 300,
        account: { region: "us-west-2", id: "123456789012" },
        logGroupNames: [],
        publicSubnets: [
          { availabilityZone: "us-west-2a", subnetId: "subnet-a" },
          { availabilityZone: "us-west-2b", subnetId: "subnet-b" },
        ],
        privateSubnetIds: ["subnet-c", "subnet-d"],
      });
    expect(build).toThrow(ConstructError);
    expect(build).toThrow(/2 zones but no advertisedName/);
  });
});

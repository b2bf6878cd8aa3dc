import { ConfigError, ConfigErrors, parseEnvironment, parseEnvironments } from "../../config/schema";
import { rejection } from "../helpers";
import { TWILIO_EDGES_PUBLISHED } from "../fixtures/twilio-edges";
import { environments } from "../../config/environments";
import { contrastingInput, validInput } from "../fixtures/environments";

describe("parseEnvironment", () => {
  it("applies the documented defaults", () => {
    const cfg = parseEnvironment(validInput);
    expect(cfg.stackName).toBe("sip-proxy-test");
    expect(cfg.vpcCidr).toBe("10.0.0.0/16");
    expect(cfg.instanceType).toBe("t3.small");
    expect(cfg.rootVolumeGb).toBe(20);
    expect(cfg.allowedSourceCidrs).toEqual(TWILIO_EDGES_PUBLISHED);
    expect(cfg.sshCidr).toBeUndefined();
    expect(cfg.logLevel).toBe("notice");
    expect(cfg.stateBackend).toBeUndefined();
    expect(cfg.sip).toMatchObject({ port: 5060, transactionTimeoutMs: 5000, ringTimeoutMs: 120000, children: 4 });
  });

  it("plans one public and one private subnet per zone without overlap", () => {
    const cfg = parseEnvironment(contrastingInput);
    expect(cfg.publicSubnets).toEqual([
      { availabilityZone: "eu-west-1b", cidr: "172.20.0.0/24" },
      { availabilityZone: "eu-west-1c", cidr: "172.20.1.0/24" },
    ]);
    expect(cfg.privateSubnets).toEqual([
      { availabilityZone: "eu-west-1b", cidr: "172.20.8.0/24" },
      { availabilityZone: "eu-west-1c", cidr: "172.20.9.0/24" },
    ]);
  });

  it("keys the S3 state by environment and defaults the bucket region to the environment's", () => {
    const cfg = parseEnvironment(contrastingInput);
    expect(cfg.stateBackend).toEqual({
      bucket: "acme-terraform-state",
      key: "voice/sip-proxy/contrast/terraform.tfstate",
      region: "eu-west-1",
    });
  });

  it("sizes shared memory above Debian's 64 MB default and grows it with the peak call rate", () => {
    const low = parseEnvironment({ ...validInput, sip: { peakCallsPerSecond: 100 } }).sip.sharedMemoryMb;
    const high = parseEnvironment({ ...validInput, sip: { peakCallsPerSecond: 10000 } }).sip.sharedMemoryMb;
    expect(low).toBeGreaterThan(64);
    // ~145 MB per 1,000 calls/s measured; 10,000 calls/s needs well over 1.4 GB.
    expect(high).toBeGreaterThanOrEqual(1450);
    expect(high % 64).toBe(0);
  });

  it("resolves load-balancing defaults only for the load-balanced architecture", () => {
    expect(parseEnvironment(validInput).loadBalancing).toBeUndefined();
    expect(parseEnvironment({ ...validInput, architecture: "load-balanced" }).loadBalancing).toEqual({
      natGateways: "single",
      min: 2,
      desired: 2,
      max: 10,
      healthCheckGraceSeconds: 300,
    });
  });

  it("keeps enabled destinations in failover order and drops disabled ones", () => {
    const cfg = parseEnvironment({
      ...validInput,
      destinations: [
        { host: "acme.sip.ashburn.twilio.com" },
        { host: "acme.sip.umatilla.twilio.com", enabled: false },
        { host: "acme.sip.dublin.twilio.com", port: 5080 },
      ],
    });
    expect(cfg.destinations).toEqual(["acme.sip.ashburn.twilio.com", "acme.sip.dublin.twilio.com:5080"]);
    expect(parseEnvironment(validInput).destinations).toEqual(["acme.sip.twilio.com"]);
  });

  it("accepts every shipped environment", () => {
    expect(() => parseEnvironments(environments)).not.toThrow();
  });

  const badInputs: Array<[string, Record<string, unknown>, string]> = [
    ["a malformed CIDR", { vpcCidr: "10.0.0.0/33" }, "vpcCidr"],
    ["a VPC too small for its subnets", { vpcCidr: "10.0.0.0/26" }, "vpcCidr"],
    ["a VPC larger than AWS allows", { vpcCidr: "10.0.0.0/8" }, "vpcCidr"],
    ["a public VPC range", { vpcCidr: "8.8.0.0/16" }, "vpcCidr"],
    ["an unknown architecture", { architecture: "cluster" }, "architecture"],
    [
      "the old allowedSourceCidrs, which replaced Twilio's edges",
      { allowedSourceCidrs: ["54.172.60.0/23"] },
      "allowedSourceCidrs",
    ],
    ["0.0.0.0/0 as an added source", { additionalSourceCidrs: ["0.0.0.0/0"] }, "additionalSourceCidrs[0]"],
    ["an added source wider than /24", { additionalSourceCidrs: ["177.71.206.0/23"] }, "additionalSourceCidrs[0]"],
    ["an added source with host bits", { additionalSourceCidrs: ["198.51.100.7/24"] }, "additionalSourceCidrs[0]"],
    [
      "an added source overlapping a Twilio edge",
      { additionalSourceCidrs: ["54.172.60.0/24"] },
      "additionalSourceCidrs[0]",
    ],
    ["a private added source", { additionalSourceCidrs: ["10.1.2.0/24"] }, "additionalSourceCidrs[0]"],
    [
      "overlapping added sources",
      { additionalSourceCidrs: ["198.51.100.0/24", "198.51.100.0/28"] },
      "additionalSourceCidrs[1]",
    ],
    ["a /8 added source", { additionalSourceCidrs: ["54.0.0.0/8"] }, "additionalSourceCidrs[0]"],
    ["a non-Twilio destination domain", { destinationDomain: "acme.example.com" }, "destinationDomain"],
    ["a destination with a scheme", { destinationDomain: "sip:acme.sip.twilio.com" }, "destinationDomain"],
    ["a zone outside the region", { availabilityZones: ["eu-west-1a"] }, "availabilityZones[0]"],
    ["no zones", { availabilityZones: [] }, "availabilityZones"],
    ["a zone listed twice", { availabilityZones: ["us-east-1a", "us-east-1a"] }, "availabilityZones[1]"],
    ["a malformed instance type", { instanceType: "small" }, "instanceType"],
    ["an arm64 instance type", { instanceType: "t4g.small" }, "instanceType"],
    ["a malformed AMI id", { imageId: "ami-123" }, "imageId"],
    ["a malformed region", { region: "US East" }, "region"],
    ["SSH open to the internet", { sshCidr: "0.0.0.0/0" }, "sshCidr"],
    ["a reserved tag", { tags: { ManagedBy: "me" } }, "tags.ManagedBy"],
    ["an unknown log level", { logLevel: "verbose" }, "logLevel"],
    ["a misspelt setting", { destinationDomian: "acme.sip.twilio.com" }, "destinationDomian"],
    ["a privileged SIP port", { sip: { port: 80 } }, "sip.port"],
    [
      "a ring timeout shorter than the transaction timeout",
      { sip: { transactionTimeoutMs: 20000, ringTimeoutMs: 15000 } },
      "sip.ringTimeoutMs",
    ],
    ["a bad state bucket name", { stateBackend: { bucket: "Bad_Bucket" } }, "stateBackend.bucket"],
    ["a name with capitals", { name: "Prod" }, "name"],
    ["autoscaling on a single instance", { autoscaling: { min: 2 } }, "autoscaling"],
    ["NAT gateways on a single instance", { natGateways: "single" }, "natGateways"],
    ["min above max", { architecture: "load-balanced", autoscaling: { min: 5, max: 3 } }, "autoscaling.min"],
    [
      "desired below min",
      { architecture: "load-balanced", autoscaling: { min: 2, desired: 1, max: 4 } },
      "autoscaling.desired",
    ],
    [
      "desired above max",
      { architecture: "load-balanced", autoscaling: { min: 2, desired: 5, max: 4 } },
      "autoscaling.desired",
    ],
    ["per-az NAT with one zone", { architecture: "load-balanced", natGateways: "per-az" }, "natGateways"],
    ["an unknown NAT mode", { architecture: "load-balanced", natGateways: "both" }, "natGateways"],
    ["a zero-instance group", { architecture: "load-balanced", autoscaling: { min: 0 } }, "autoscaling.min"],
    ["an empty failover list", { destinations: [] }, "destinations"],
    ["TLS without a destination port", { sip: { destinationTransport: "tls" } }, "destinations"],
    [
      "TLS with a destination that lacks a port",
      {
        sip: { destinationTransport: "tls" },
        destinations: [{ host: "a.sip.twilio.com", port: 5061 }, { host: "b.sip.twilio.com" }],
      },
      "destinations[1].port",
    ],
    ["a TLS port equal to the SIP port", { sip: { port: 5070, tlsPort: 5070 } }, "sip.tlsPort"],
    [
      "a destination listed twice",
      {
        destinations: [
          { host: "a.sip.twilio.com" },
          { host: "b.sip.twilio.com" },
          { host: "a.sip.twilio.com", port: 5060 },
        ],
      },
      "destinations[2]",
    ],
    ["every destination disabled", { destinations: [{ host: "a.sip.twilio.com", enabled: false }] }, "destinations"],
    [
      "a destination that is not a host name",
      { destinations: [{ host: "sip:a.sip.twilio.com" }] },
      "destinations[0].host",
    ],
    ["a per-attempt timer out of range", { sip: { transactionTimeoutMs: 500 } }, "sip.transactionTimeoutMs"],
    ["a DNS name that is not a host name", { dns: { name: "https://sip.example.com" } }, "dns.name"],
    ["a malformed hosted zone id", { dns: { name: "sip.example.com", hostedZoneId: "zone-1" } }, "dns.hostedZoneId"],
  ];

  it.each(badInputs)("rejects %s, naming the field", (_label, override, path) => {
    const error = rejection({ ...validInput, ...override });
    expect(error.paths).toContain(path);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/Fix: \S/);
  });

  it("names the environment, the bad value and the fix in the message", () => {
    const error = rejection({ ...validInput, additionalSourceCidrs: ["0.0.0.0/0"] });
    expect(error.message).toContain('Environment "test"');
    expect(error.message).toContain('"0.0.0.0/0"');
    expect(error.message).toContain("Fix: list the exact addresses of the extra source");
  });

  it("suggests the canonical form of a range written with host bits", () => {
    const error = rejection({ ...validInput, additionalSourceCidrs: ["198.51.100.7/24"] });
    expect(error.issues[0].fix).toBe("write 198.51.100.0/24");
  });

  it("reports every bad field at once", () => {
    const error = rejection({ ...validInput, vpcCidr: "10.0.0.0/8", sshCidr: "0.0.0.0/0", tags: { Project: "x" } });
    expect(error.paths).toEqual(expect.arrayContaining(["vpcCidr", "sshCidr", "tags.Project"]));
  });

  it("rejects input that is not an object", () => {
    expect(rejection(null).environment).toBe("(unnamed)");
    expect(rejection("dev")).toBeInstanceOf(ConfigError);
  });

  it("rejects two environments with the same name", () => {
    expect(() => parseEnvironments([validInput, validInput])).toThrow(ConfigError);
  });

  it("always admits all eight Twilio signaling edges, and added sources after them", () => {
    expect(parseEnvironment(validInput).allowedSourceCidrs).toEqual(TWILIO_EDGES_PUBLISHED);
    const extra = parseEnvironment({ ...validInput, additionalSourceCidrs: ["198.51.100.0/24"] });
    expect(extra.allowedSourceCidrs).toEqual([...TWILIO_EDGES_PUBLISHED, "198.51.100.0/24"]);
  });

  it("refuses the old allowedSourceCidrs with a pointer to the new field", () => {
    const error = rejection({ ...validInput, allowedSourceCidrs: ["54.172.60.0/23"] });
    expect(error.message).toContain("additionalSourceCidrs");
  });
});

describe("every error at once", () => {
  it("reports every bad environment, not only the first", () => {
    const bad = (name: string) => ({ ...validInput, name, vpcCidr: "10.0.0.0/8" });
    let error: unknown;
    try {
      parseEnvironments([bad("one"), validInput, bad("two")]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    const message = (error as ConfigErrors).message;
    expect(message).toContain('Environment "one" has');
    expect(message).toContain('Environment "two" has');
  });

  it("still runs the range and cross-field checks when a key is misspelt", () => {
    const error = rejection({
      ...validInput,
      sipp: { port: 5060 },
      additionalSourceCidrs: ["198.51.0.0/16"],
      availabilityZones: ["us-west-2a"],
    });
    expect(error.paths).toEqual(["sipp", "additionalSourceCidrs[0]", "availabilityZones[0]"]);
    expect(error.skipped).toEqual([]);
  });

  it("says which checks it could not run because a setting they read is itself invalid", () => {
    const error = rejection({ ...validInput, sip: { port: "5060" }, additionalSourceCidrs: ["198.51.0.0/16"] });
    expect(error.paths).toEqual(["sip.port", "additionalSourceCidrs[0]"]);
    expect(error.skipped).toEqual(["ports and TLS (needs sip)", "SIP timers (needs sip)"]);
    expect(error.message).toContain(
      "(not checked until those are fixed: ports and TLS (needs sip); SIP timers (needs sip))",
    );
  });

  it("names both files that use one environment name", () => {
    expect(() =>
      parseEnvironments([validInput, validInput], ["config/environments/a.ts", "config/environments/b.ts"]),
    ).toThrow(/is used by two environments: config\/environments\/a\.ts and config\/environments\/b\.ts/);
  });
});

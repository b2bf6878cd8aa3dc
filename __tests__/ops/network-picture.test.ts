// The network picture of each environment (docs/network-<env>.svg, npm run diagram): what it
// says is read from the synthesized stack, the committed pictures are what the code draws
// today, and they stay readable at the width the README shows them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { environments } from "../../config/environments";
import type { EnvironmentConfig } from "../../config/schema";
import { networkModel } from "../../scripts/lib/network-model";
import { MIN_LABEL_PX, README_WIDTH, networkSvg, textWidth } from "../../scripts/lib/network-picture";
import { withSynthesizedStacks, type StackJson } from "../../scripts/lib/stack-json";
import { PROJECT_ROOT } from "../../scripts/lib/terraform";
import { contrastingInput, loadBalancedInput, tlsInput } from "../fixtures/environments";

interface Synthesized {
  readonly cfg: EnvironmentConfig;
  readonly json: StackJson;
}
const synth = (inputs: readonly unknown[]) =>
  withSynthesizedStacks(inputs, (stacks) => new Map(stacks.map((s) => [s.cfg.name, { cfg: s.cfg, json: s.json }])));
// The shipped environments exactly as `npm run diagram` synthesizes them; the fixtures apart.
const shipped: Map<string, Synthesized> = synth(environments);
const fixtures: Map<string, Synthesized> = synth([contrastingInput, loadBalancedInput, tlsInput]);
const all = new Map([...shipped, ...fixtures]);
const modelOf = (name: string) => networkModel(all.get(name)!.cfg, all.get(name)!.json);

const DOCS = join(PROJECT_ROOT, "docs");
const committed = (name: string) => readFileSync(join(DOCS, `network-${name}.svg`), "utf8");

// --- reading an SVG the way a test can: its texts, groups, shapes, arrows -------------------

const unescape = (s: string) =>
  s
    .replace(/&#160;/g, "\u00a0")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");

interface Text {
  readonly x: number;
  readonly size: number;
  readonly bold: boolean;
  readonly text: string;
}
const textsOf = (svg: string): Text[] =>
  [...svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)].map(([, attrs, text]) => ({
    x: Number(/\bx="([\d.]+)"/.exec(attrs)?.[1]),
    size: Number(/\bfont-size="([\d.]+)"/.exec(attrs)?.[1]),
    bold: /font-weight="bold"/.test(attrs),
    text: unescape(text),
  }));
const viewBoxWidth = (svg: string) => Number(/viewBox="0 0 ([\d.]+) [\d.]+"/.exec(svg)![1]);

interface Group {
  readonly resource: string;
  readonly role: string;
  readonly shape: string;
  readonly stroke: string;
  /** The shape's right edge. */
  readonly right: number;
  readonly text: string;
  readonly texts: Text[];
}
const groupsOf = (svg: string): Group[] =>
  [...svg.matchAll(/<g data-resource="([^"]+)" data-role="(\w+)">([\s\S]*?)<\/g>/g)].map(([, resource, role, body]) => {
    const shape = /<(rect|polygon) ([^>]*)\/>/.exec(body)!;
    const attrs = shape[2];
    const right =
      shape[1] === "rect"
        ? Number(/\bx="([\d.]+)"/.exec(attrs)![1]) + Number(/\bwidth="([\d.]+)"/.exec(attrs)![1])
        : Math.max(
            ...(/points="([^"]+)"/
              .exec(attrs)![1]
              .split(" ")
              .map((p) => Number(p.split(",")[0])) as number[]),
          );
    const texts = textsOf(body);
    return {
      resource,
      role,
      shape: shape[1],
      stroke: /stroke="([^"]+)"/.exec(attrs)![1],
      right,
      texts,
      text: texts.map((t) => t.text.replace(/\u00a0/g, " ")).join("\n"),
    };
  });
const arrowsOf = (svg: string) =>
  [...svg.matchAll(/<polyline points="([^"]+)"[^>]*marker-end="url\(#call\)"/g)].map(([, points]) =>
    points.split(" ").map((p) => p.split(",").map(Number) as [number, number]),
  );

// --- what the picture says, from the stack -------------------------------------------------

/** `${aws_eip.x.public_ip}` entries of an output, as `aws_eip.x`. */
const eipsIn = (json: StackJson, output: string) =>
  ((json.output?.[output]?.value ?? []) as string[])
    .map((v) => /^\$\{(aws_eip\.[\w-]+)\.public_ip\}$/.exec(v)?.[1])
    .sort();

describe("the network picture's model", () => {
  it.each([...all.keys()])(
    "%s: dial addresses are the stack's ingress_ips, whitelist addresses its egress_ips",
    (name) => {
      const m = modelOf(name);
      const { json } = all.get(name)!;
      expect(m.dial.map((a) => a.resource).sort()).toEqual(eipsIn(json, "ingress_ips"));
      expect(m.whitelist.map((a) => a.resource).sort()).toEqual(eipsIn(json, "egress_ips"));
      expect(m.dial.length).toBeGreaterThan(0);
      expect(m.whitelist.length).toBeGreaterThan(0);
    },
  );

  it.each([...all.keys()])("%s: the proxies' zones and min..max are the environment's", (name) => {
    const { cfg } = all.get(name)!;
    const m = modelOf(name);
    if (cfg.architecture === "load-balanced") {
      expect(m.proxies).toMatchObject({ group: true, min: cfg.loadBalancing!.min, max: cfg.loadBalancing!.max });
      expect(m.proxies.zones.map((z) => [z.zone, z.tier])).toEqual(cfg.availabilityZones.map((z) => [z, "private"]));
    } else {
      expect(m.proxies).toMatchObject({ group: false, min: 1, max: 1 });
      expect(m.proxies.zones.map((z) => z.tier)).toEqual(["public"]);
    }
  });

  it("prod: three zones, an NLB Elastic IP to dial and a NAT Elastic IP to whitelist in each, the DNS name dialled", () => {
    const m = modelOf("prod");
    expect(m.dial.map((a) => [a.label, a.output])).toEqual([
      ["NLB EIP us-east-1a", "ingress_ips[0]"],
      ["NLB EIP us-east-1b", "ingress_ips[1]"],
      ["NLB EIP us-east-1c", "ingress_ips[2]"],
    ]);
    expect(m.whitelist.map((a) => [a.label, a.output])).toEqual([
      ["NAT EIP us-east-1a", "egress_ips[0]"],
      ["NAT EIP us-east-1b", "egress_ips[1]"],
      ["NAT EIP us-east-1c", "egress_ips[2]"],
    ]);
    expect(m.proxies.zones.map((z) => [z.zone, z.egress])).toEqual([
      ["us-east-1a", "vpc_nat_us_east_1a"],
      ["us-east-1b", "vpc_nat_us_east_1b"],
      ["us-east-1c", "vpc_nat_us_east_1c"],
    ]);
    expect(m).toMatchObject({
      dnsName: "sip.prod.example.net",
      listeners: ["UDP/TCP 5060"],
      loadBalancer: { crossZone: true, sourceIpStickiness: true },
      aclOutput: "twilio_ip_acl",
      source: { dials: "sip:EXTENSION@sip.prod.example.net:5060" },
    });
  });

  it("dev: one Elastic IP both dialled and whitelisted", () => {
    const m = modelOf("dev");
    expect(m.dial.map((a) => a.resource)).toEqual(["aws_eip.proxy_ingress"]);
    expect(m.whitelist.map((a) => a.resource)).toEqual(["aws_eip.proxy_ingress"]);
    expect(m.source.dials).toBe("sip:EXTENSION@‹EIP us-east-1a›:5060");
  });

  it("two zones behind one NAT gateway: the second zone's calls leave through the first zone's address", () => {
    const m = modelOf("tlstest");
    expect(m.proxies.zones.map((z) => [z.zone, z.egress])).toEqual([
      ["us-east-1a", "vpc_nat_us_east_1a"],
      ["us-east-1b", "vpc_nat_us_east_1a"],
    ]);
    expect(m.listeners).toEqual(["UDP/TCP 5060", "TLS 5061"]);
    expect(m.destination.transport).toBe("TLS");
    // Drawn as an arrow that bends from the second lane to the first.
    expect(arrowsOf(networkSvg(m)).filter((a) => a.length === 4)).toHaveLength(1);
  });

  it("single in a second zone: the instance's zone, its SIP port, and no SSH rule as a way in", () => {
    const m = modelOf("contrast");
    expect(m.dial.map((a) => a.label)).toEqual(["EIP eu-west-1b"]);
    expect(m.listeners).toEqual(["UDP/TCP 5080"]);
    expect(m.source).toMatchObject({ twilioEdges: 8, addedRanges: 2, accounts: 2, digestAuth: true });
  });

  it("refuses an Elastic IP it cannot place, naming it", () => {
    const { cfg, json } = shipped.get("staging")!;
    const stray = {
      ...json,
      resource: { ...json.resource, aws_eip: { ...json.resource!.aws_eip, stray: { domain: "vpc" } } },
    };
    expect(() => networkModel(cfg, stray)).toThrow(/aws_eip\.stray belongs to no NLB, NAT gateway or instance/);
  });
});

describe("the committed network pictures", () => {
  it("exist for every environment and no other", () => {
    const pictures = readdirSync(DOCS)
      .filter((f) => /^network-.*\.svg$/.test(f))
      .sort();
    expect(pictures).toEqual([...shipped.keys()].map((n) => `network-${n}.svg`).sort());
  });

  it.each([...shipped.keys()])("%s: is what npm run diagram draws from today's stack (else run it)", (name) => {
    const { cfg, json } = shipped.get(name)!;
    expect(committed(name)).toBe(networkSvg(networkModel(cfg, json)));
  });

  it.each([...shipped.keys()])(
    `%s: every label is at least ${MIN_LABEL_PX} px tall at the README's ${README_WIDTH} px`,
    (name) => {
      const svg = committed(name);
      const texts = textsOf(svg);
      expect(texts.length).toBeGreaterThan(40);
      // Every text says its size (none falls back to a viewer's default), none is scaled.
      expect(svg.match(/<text /g)!.length).toBe(texts.length);
      expect(texts.filter((t) => !(t.size > 0))).toEqual([]);
      expect(svg).not.toMatch(/transform=|font-size:|<style/);
      const smallest = Math.min(...texts.map((t) => t.size));
      // The picture is scaled to the README's width when wider; never scaled up.
      const scale = Math.min(1, README_WIDTH / viewBoxWidth(svg));
      expect(smallest * scale).toBeGreaterThanOrEqual(MIN_LABEL_PX);
      expect(svg).toMatch(new RegExp(`<svg [^>]*width="${viewBoxWidth(svg)}"`));
    },
  );

  it.each([...shipped.keys()])("%s: no label runs out of its box or off the picture", (name) => {
    const svg = committed(name);
    const width = viewBoxWidth(svg);
    const over = (t: Text, right: number) => t.x + textWidth(t.text, t.size, t.bold) > right;
    expect(textsOf(svg).filter((t) => over(t, width - 4))).toEqual([]);
    for (const g of groupsOf(svg))
      expect({ box: g.resource, over: g.texts.filter((t) => over(t, g.right - 2)) }).toEqual({
        box: g.resource,
        over: [],
      });
  });

  it.each([...shipped.keys()])(
    "%s: shows each Elastic IP by its symbolic name, dial ones and whitelist ones apart",
    (name) => {
      const { cfg, json } = shipped.get(name)!;
      const groups = groupsOf(committed(name));
      const eips = Object.entries(json.resource!.aws_eip!);
      expect(eips.length).toBeGreaterThan(0);
      const expected = eips.flatMap(([eip, e]) => {
        const tag = String((e.tags as Record<string, string>).Name);
        const zoned = /-(nlb|nat)-([a-z]{2}-[a-z]+-\d[a-z])$/.exec(tag);
        if (zoned?.[1] === "nlb") return [[`aws_eip.${eip}`, "dial", `NLB EIP ${zoned[2]}\ndial this`]];
        if (zoned?.[1] === "nat") return [[`aws_eip.${eip}`, "whitelist", `NAT EIP ${zoned[2]}\nwhitelist this`]];
        expect(tag).toMatch(/-ingress$/); // the single instance's: dialled and whitelisted
        return [
          [`aws_eip.${eip}`, "dial", `EIP ${cfg.availabilityZones[0]}\ndial this`],
          [`aws_eip.${eip}`, "whitelist", `EIP ${cfg.availabilityZones[0]}\nwhitelist this`],
        ];
      });
      expect(groups.map((g) => [g.resource, g.role]).sort()).toEqual(expected.map(([r, role]) => [r, role]).sort());
      for (const [resource, role, label] of expected) {
        expect(groups.find((g) => g.resource === resource && g.role === role)!.text).toContain(label);
      }
      // Two looks, one per role, and the legend names both.
      const looks = (role: string) =>
        new Set(groups.filter((g) => g.role === role).map((g) => `${g.shape} ${g.stroke}`));
      expect(looks("dial").size).toBe(1);
      expect(looks("whitelist").size).toBe(1);
      expect([...looks("dial")][0]).not.toBe([...looks("whitelist")][0]);
      expect(committed(name)).toContain("Legend");
      expect(committed(name)).toMatch(/dial these: .*whitelist these: /s);
    },
  );

  it.each([...shipped.keys()])("%s: arrows run in call direction, source Twilio to destination Twilio", (name) => {
    const { cfg } = shipped.get(name)!;
    const arrows = arrowsOf(committed(name));
    // Source -> dial, dial -> proxies, proxies -> whitelist per zone, whitelist -> destination,
    // and the legend's.
    const zones = cfg.architecture === "single" ? 1 : cfg.availabilityZones.length;
    const nats = new Set(modelOf(name).whitelist.map((a) => a.resource)).size;
    expect(arrows).toHaveLength(3 * zones + nats + 1);
    for (const points of arrows) {
      const xs = points.map(([x]) => x);
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
      expect(xs[xs.length - 1]).toBeGreaterThan(xs[0]);
    }
    expect(committed(name)).toMatch(/Source Twilio[\s\S]*Destination Twilio/);
  });
});

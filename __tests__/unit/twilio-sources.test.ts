// Twilio's eight signaling edges are always let in, by both filters a call passes: the
// security group (AWS drops anything else silently) and Kamailio's source check (403).
import { environments } from "../../config/environments";
import { deployedUserData, embeddedKamailioConfig } from "../../scripts/lib/stack-json";
import { contrastingInput } from "../fixtures/environments";
import { TWILIO_EDGES_PUBLISHED } from "../fixtures/twilio-edges";
import { resourcesOf, synthEnvironment } from "../helpers";

interface Rule {
  from_port: number;
  cidr_blocks?: string[];
}

function sourcesOf(input: (typeof environments)[number]) {
  const { json } = synthEnvironment(input);
  const port = input.sip?.port ?? 5060;
  const groups = Object.values(resourcesOf(json, "aws_security_group"));
  const securityGroup = [
    ...new Set(
      // Load-balanced, the NLB's group holds the ranges and the instances' group refers to it.
      groups.flatMap((g) =>
        (g.ingress as Rule[]).filter((r) => r.from_port === port).flatMap((r) => r.cidr_blocks ?? []),
      ),
    ),
  ];
  const cfg = embeddedKamailioConfig(deployedUserData(json));
  const kamailio = /^#!define ALLOWED_SOURCES "([^"]*)"$/m.exec(cfg)![1].split(",");
  return { securityGroup, kamailio };
}

describe("who may send SIP", () => {
  it.each(environments.map((e) => [e.name, e] as const))(
    "%s admits exactly Twilio's eight signaling edges, in the security group and in Kamailio",
    (_name, input) => {
      const { securityGroup, kamailio } = sourcesOf(input);
      expect(securityGroup).toEqual(TWILIO_EDGES_PUBLISHED);
      expect(kamailio).toEqual(TWILIO_EDGES_PUBLISHED);
    },
  );

  it("adds an environment's extra sources after the edges, in both places", () => {
    const { securityGroup, kamailio } = sourcesOf(contrastingInput);
    const expected = [...TWILIO_EDGES_PUBLISHED, "198.51.100.0/24", "192.0.2.16/28"];
    expect(securityGroup).toEqual(expected);
    expect(kamailio).toEqual(expected);
  });
});

// The rehearsal's judgement of a second plan, on hand-written plan fragments in Terraform's
// JSON plan format (the real plans are judged in the rehearsal layer).
import { environments } from "../../config/environments";
import { EMULATOR_ARTEFACTS } from "../../scripts/lib/emulator-artefacts";
import { classifyReplan, emulatorOverride } from "../../scripts/lib/rehearsal";
import { REVIEWED_ADDRESSES } from "../../stacks/state-addresses";
import { stateAddresses } from "../../scripts/lib/stack-json";
import { synthEnvironment } from "../helpers";

const templateEcho = {
  address: "aws_launch_template.proxy_template",
  change: {
    actions: ["update"],
    before: {
      latest_version: 1,
      tag_specifications: [
        { resource_type: "instance", tags: { Name: "x" } },
        { resource_type: "launch-template", tags: { Name: "x" } },
      ],
    },
    after: { tag_specifications: [{ resource_type: "instance", tags: { Name: "x" } }] },
    after_unknown: { latest_version: true },
  },
};
const group = (before: unknown) => ({
  address: "aws_autoscaling_group.proxy",
  change: {
    actions: ["update"],
    before: { launch_template: [{ version: before }], max_size: 4 },
    after: { launch_template: [{}], max_size: 4 },
    after_unknown: { launch_template: [{ version: true }] },
  },
});
const configuration = {
  root_module: {
    resources: [
      { address: "aws_launch_template.proxy_template", expressions: { name: { constant_value: "x" } } },
      {
        address: "aws_autoscaling_group.proxy",
        expressions: {
          launch_template: [
            {
              version: {
                references: ["aws_launch_template.proxy_template.latest_version", "aws_launch_template.proxy_template"],
              },
            },
          ],
        },
      },
    ],
  },
};

describe("judging the second plan after a rehearsed apply", () => {
  it("accepts a listed emulator artefact and what Terraform recomputes because of it", () => {
    const verdict = classifyReplan({ resource_changes: [templateEcho, group("1")], configuration }, EMULATOR_ARTEFACTS);
    expect(verdict.unexplained).toEqual([]);
    expect(verdict.accepted.map((c) => [c.address, c.path])).toEqual([
      ["aws_launch_template.proxy_template", "latest_version"],
      ["aws_launch_template.proxy_template", "tag_specifications[1]"],
      ["aws_autoscaling_group.proxy", "launch_template[0].version"],
    ]);
  });

  it("fails a change no artefact lists, even on a resource that has artefacts", () => {
    const drift = {
      address: "aws_autoscaling_group.proxy",
      change: { actions: ["update"], before: { max_size: 10 }, after: { max_size: 4 }, after_unknown: {} },
    };
    const verdict = classifyReplan({ resource_changes: [templateEcho, drift], configuration }, EMULATOR_ARTEFACTS);
    expect(verdict.unexplained).toEqual([
      { address: "aws_autoscaling_group.proxy", actions: "update", path: "max_size", before: 10, after: 4 },
    ]);
  });

  it("fails an unknown value whose upstream change is not itself accepted", () => {
    const realChange = {
      ...templateEcho,
      change: {
        ...templateEcho.change,
        before: { latest_version: 1, image_id: "ami-1" },
        after: { image_id: "ami-2" },
      },
    };
    const verdict = classifyReplan({ resource_changes: [realChange, group("1")], configuration }, EMULATOR_ARTEFACTS);
    expect(verdict.unexplained.map((c) => `${c.address} ${c.path}`).sort()).toEqual([
      "aws_autoscaling_group.proxy launch_template[0].version",
      "aws_launch_template.proxy_template image_id",
      "aws_launch_template.proxy_template latest_version",
    ]);
  });

  it("matches an artefact's values, not only its path", () => {
    const preference = (before: string | null, after: string | null) => ({
      address: "aws_autoscaling_group.proxy",
      change: {
        actions: ["update"],
        before: { capacity_reservation_specification: [{ capacity_reservation_preference: before }] },
        after: { capacity_reservation_specification: [{ capacity_reservation_preference: after }] },
        after_unknown: {},
      },
    });
    expect(classifyReplan({ resource_changes: [preference(null, "")] }, EMULATOR_ARTEFACTS).unexplained).toEqual([]);
    expect(
      classifyReplan({ resource_changes: [preference("", "default")] }, EMULATOR_ARTEFACTS).unexplained,
    ).toHaveLength(1);
  });

  it("pairs set elements by content, whatever order the plan lists them in", () => {
    const nlb = {
      address: "aws_lb.proxy_nlb",
      change: {
        actions: ["update"],
        before: {
          subnet_mapping: [
            { subnet_id: "subnet-a", allocation_id: "" },
            { subnet_id: "subnet-b", allocation_id: "" },
          ],
        },
        after: {
          subnet_mapping: [
            { subnet_id: "subnet-b", allocation_id: "eipalloc-b" },
            { subnet_id: "subnet-a", allocation_id: "eipalloc-a" },
          ],
        },
        after_unknown: {},
      },
    };
    const verdict = classifyReplan({ resource_changes: [nlb] }, EMULATOR_ARTEFACTS);
    expect(verdict.unexplained).toEqual([]);
    expect(verdict.accepted.map((c) => c.path)).toEqual([
      "subnet_mapping[0].allocation_id",
      "subnet_mapping[1].allocation_id",
    ]);
  });
});

describe("the rehearsal's emulator settings", () => {
  it("live only in the override file, never in a synthesized stack", () => {
    for (const input of environments) {
      const { text } = synthEnvironment(input);
      expect(text).not.toMatch(/endpoints|skip_credentials_validation|127\.0\.0\.1|AKIA/);
    }
    const override = JSON.stringify(emulatorOverride("http://127.0.0.1:1234"));
    expect(override).toContain('"ec2":"http://127.0.0.1:1234"');
    expect(override).toContain('"skip_credentials_validation":true');
  });

  it("checks every shipped environment against a reviewed address list", () => {
    for (const input of environments) {
      expect({ env: input.name, addresses: stateAddresses(synthEnvironment(input).json) }).toEqual({
        env: input.name,
        addresses: REVIEWED_ADDRESSES[input.name],
      });
    }
  });
});

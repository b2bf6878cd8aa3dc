// Every resource type the stacks create has a deliberate entry in the tables that describe
// them: the replacement rules behind `npm run changes` (a missing type would be reported as
// changing in place, even when renamed) and the architecture picture.
import { environments } from "../../config/environments";
import { diagramTreatment as treatmentOf } from "../../scripts/lib/diagram";
import { FORCE_NEW } from "../../scripts/lib/replacement-rules";
import { synthesizeToMemory } from "../../scripts/lib/stack-json";
import { contrastingInput, loadBalancedInput, tlsInput } from "../fixtures/environments";

const types = [
  ...new Set(
    [...synthesizeToMemory([...environments, contrastingInput, loadBalancedInput, tlsInput]).values()].flatMap((json) =>
      Object.keys(json.resource ?? {}),
    ),
  ),
].sort();

describe("resource types the stacks create", () => {
  it("are many enough for the check to mean something", () => {
    expect(types.length).toBeGreaterThan(25);
  });

  it.each(types)("%s has replacement rules for npm run changes", (type) => {
    expect(Object.keys(FORCE_NEW)).toContain(type);
  });

  it.each(types)("%s has a place in the architecture picture", (type) => {
    expect(treatmentOf(type)).toBeDefined();
  });
});

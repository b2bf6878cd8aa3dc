// Terraform creates what has no dependency in parallel. A first boot needs egress (it installs
// packages), and an internet-facing NLB needs the internet gateway: walk each synthesized
// stack's dependency graph (depends_on and every ${type.name...} reference) and prove it.
import { environments } from "../../config/environments";
import type { StackJson } from "../../scripts/lib/stack-json";
import { synthEnvironment } from "../helpers";

/** address → every address it depends on, directly or transitively. */
function dependencyClosure(json: StackJson): Map<string, Set<string>> {
  const direct = new Map<string, Set<string>>();
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      const text = JSON.stringify(body);
      const refs = new Set<string>();
      for (const [, ref] of text.matchAll(/\$\{(aws_[a-z0-9_]+\.[a-z0-9_]+)/g)) refs.add(ref);
      for (const dep of (body as { depends_on?: string[] }).depends_on ?? []) refs.add(dep.replace(/^\$\{|\}$/g, ""));
      direct.set(`${type}.${name}`, refs);
    }
  }
  const closure = new Map<string, Set<string>>();
  const visit = (address: string): Set<string> => {
    const known = closure.get(address);
    if (known) return known;
    const all = new Set<string>();
    closure.set(address, all);
    for (const dep of direct.get(address) ?? []) {
      all.add(dep);
      for (const transitive of visit(dep)) all.add(transitive);
    }
    return all;
  };
  for (const address of direct.keys()) visit(address);
  return closure;
}

const addresses = (json: StackJson, type: string, filter: (body: Record<string, unknown>) => boolean = () => true) =>
  Object.entries(json.resource?.[type] ?? {})
    .filter(([, body]) => filter(body))
    .map(([name]) => `${type}.${name}`);

const byName = (name: string) => environments.find((e) => e.name === name)!;

describe("apply order", () => {
  it("dev creates its instance and Elastic IP association only after the route to the internet gateway", () => {
    const { json } = synthEnvironment(byName("dev"));
    const deps = dependencyClosure(json);
    const internetRoutes = addresses(json, "aws_route", (r) => typeof r.gateway_id === "string");
    expect(internetRoutes).toHaveLength(1);
    for (const address of [...addresses(json, "aws_instance"), ...addresses(json, "aws_eip_association")]) {
      expect({ address, after: [...deps.get(address)!].filter((d) => internetRoutes.includes(d)) }).toEqual({
        address,
        after: internetRoutes,
      });
    }
  });

  it.each(["staging", "prod"])(
    "%s creates the Auto Scaling group only after every private route through NAT, and the NLB after the internet gateway",
    (env) => {
      const { json } = synthEnvironment(byName(env));
      const deps = dependencyClosure(json);
      const natRoutes = addresses(json, "aws_route", (r) => typeof r.nat_gateway_id === "string");
      expect(natRoutes.length).toBe(byName(env).availabilityZones.length);
      const [group] = addresses(json, "aws_autoscaling_group");
      expect([...deps.get(group)!].filter((d) => natRoutes.includes(d)).sort()).toEqual([...natRoutes].sort());
      const [gateway] = addresses(json, "aws_internet_gateway");
      for (const nlb of addresses(json, "aws_lb")) expect(deps.get(nlb)!.has(gateway)).toBe(true);
    },
  );
});

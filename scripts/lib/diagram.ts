// From `terraform graph` to a picture an operator can read: the resources that carry calls
// and addresses, and how they refer to each other.
//
// What is left out, and why:
// - Anything that is not a resource (providers, locals, variables, outputs, older
//   Terraform's root/meta nodes): its connections are kept by linking what pointed at it to
//   what it pointed at.
// - Association and route resources are glue, not things: each becomes one edge, route
//   table -> subnet, gateway -> route table, Elastic IP -> instance.
// - The instance profile only wraps the IAM role: the launch template is drawn using the role.
// - IAM policy attachments point at AWS-managed policies that are not in the stack.
// - Log metric filters and the KMS key of the alert topics are details of the log group and
//   topics; the alarms, topics and log groups stay, drawn apart as "monitoring".

export interface Graph {
  readonly nodes: readonly string[];
  /** `[a, b]`: a refers to (depends on) b, as in Terraform's graph. */
  readonly edges: readonly (readonly [string, string])[];
}

/** Nodes and edges of `terraform graph` output (DOT); labels and attributes are ignored. */
export function parseTerraformGraph(dot: string): Graph {
  const nodes = new Set<string>();
  const edges: [string, string][] = [];
  for (const line of dot.split("\n")) {
    const edge = /^\s*"([^"]+)"\s*->\s*"([^"]+)"/.exec(line);
    if (edge) {
      edges.push([edge[1], edge[2]]);
      nodes.add(edge[1]).add(edge[2]);
      continue;
    }
    const node = /^\s*"([^"]+)"\s*\[/.exec(line);
    if (node) nodes.add(node[1]);
  }
  return { nodes: [...nodes], edges };
}

// Older Terraform writes nodes as `[root] aws_vpc.vpc (expand)`; newer ones the bare address.
const addressOf = (node: string) => node.replace(/^\[root\]\s+/, "").replace(/\s+\((expand|close)\)$/, "");
const typeOf = (address: string) => address.split(".")[0];
const isResource = (address: string) => /^aws_[a-z0-9_]+\.[A-Za-z0-9_-]+$/.test(address);

/**
 * Glue resources drawn as one edge, tail -> head. `terraform graph` drops an edge that
 * another path implies (an association refers to the instance, which reaches the Elastic IP
 * through its launch template), so the ends are found by the nearest match, not next door.
 */
const LINKS: Readonly<Record<string, { readonly tail: readonly string[]; readonly head: string }>> = {
  aws_route_table_association: { tail: ["aws_route_table"], head: "aws_subnet" },
  aws_route: { tail: ["aws_internet_gateway", "aws_nat_gateway"], head: "aws_route_table" },
  aws_eip_association: { tail: ["aws_eip"], head: "aws_instance" },
};
const PASS_THROUGH = new Set(["aws_iam_instance_profile"]);
const DROP = new Set([
  "aws_iam_role_policy_attachment",
  "aws_iam_role_policy",
  "aws_cloudwatch_log_metric_filter",
  "aws_kms_key",
]);
const MONITORING = /^aws_(cloudwatch|sns)_/;
/** Drawn in the network colour. */
const NETWORK_TYPES = new Set(["aws_vpc", "aws_subnet", "aws_route_table", "aws_internet_gateway"]);

export function simplify(graph: Graph): Graph {
  const edges = new Set<string>();
  const out = new Map<string, Set<string>>();
  for (const [a, b] of graph.edges.map(([x, y]) => [addressOf(x), addressOf(y)])) {
    if (a === b) continue;
    if (!out.has(a)) out.set(a, new Set());
    out.get(a)!.add(b);
  }
  const nodes = new Set(graph.nodes.map(addressOf));
  const kept = (n: string) =>
    isResource(n) && !LINKS[typeOf(n)] && !PASS_THROUGH.has(typeOf(n)) && !DROP.has(typeOf(n));
  const draw = (from: string, to: string) => edges.add(JSON.stringify([from, to]));

  // Follow references through the nodes that are not drawn until a drawn one is reached.
  const reach = (from: string, seen = new Set<string>()): string[] =>
    [...(out.get(from) ?? [])].flatMap((n) => {
      if (seen.has(n)) return [];
      seen.add(n);
      if (kept(n)) return [n];
      return LINKS[typeOf(n)] || DROP.has(typeOf(n)) ? [] : reach(n, seen);
    });
  const nearest = (from: string, types: readonly string[]): string | undefined => {
    const seen = new Set([from]);
    for (let level = [from]; level.length > 0; ) {
      const next = level.flatMap((n) => [...(out.get(n) ?? [])]).filter((n) => !seen.has(n) && seen.add(n));
      const hit = next.find((n) => types.includes(typeOf(n)));
      if (hit) return hit;
      level = next;
    }
    return undefined;
  };

  for (const n of nodes) {
    if (kept(n)) {
      for (const target of reach(n)) draw(n, target);
    } else if (LINKS[typeOf(n)]) {
      const { tail, head } = LINKS[typeOf(n)];
      const [from, to] = [nearest(n, [head]), nearest(n, tail)];
      if (from && to) draw(from, to);
    }
  }
  return {
    nodes: [...nodes].filter(kept).sort(),
    edges: [...edges].sort().map((e) => JSON.parse(e) as [string, string]),
  };
}

interface Style {
  readonly what: string;
  readonly fill: string;
}

const STYLES: Readonly<Record<string, Style>> = {
  aws_eip: { what: "Elastic IP (public address)", fill: "#f9c784" },
  aws_lb: { what: "Network Load Balancer", fill: "#b8e0b8" },
  aws_lb_listener: { what: "listener (SIP port)", fill: "#b8e0b8" },
  aws_lb_target_group: { what: "target group", fill: "#b8e0b8" },
  aws_nat_gateway: { what: "NAT gateway (egress)", fill: "#f9c784" },
  aws_instance: { what: "EC2 instance (Kamailio)", fill: "#fff3b0" },
  aws_autoscaling_group: { what: "Auto Scaling Group (Kamailio)", fill: "#fff3b0" },
  aws_autoscaling_lifecycle_hook: { what: "drain hook (termination)", fill: "#fff3b0" },
  aws_launch_template: { what: "launch template (user-data)", fill: "#fff3b0" },
  aws_security_group: { what: "security group (Twilio ranges)", fill: "#e0e0e0" },
  aws_default_security_group: { what: "default security group (emptied)", fill: "#e0e0e0" },
  aws_default_network_acl: { what: "default network ACL (no SSH from anywhere)", fill: "#e0e0e0" },
  aws_flow_log: { what: "VPC flow log (rejected traffic)", fill: "#e0e0e0" },
  aws_iam_role: { what: "IAM role (SSM, CloudWatch)", fill: "#e0e0e0" },
  aws_route53_record: { what: "DNS record", fill: "#d7c6ef" },
};
const NETWORK: Style = { what: "", fill: "#cfe3f7" };
const MONITORING_STYLE: Style = { what: "", fill: "#e8def8" };

/**
 * How the picture treats a resource type, or undefined for a type nobody has decided on
 * (a test fails on those, so a new type gets a deliberate place in the picture).
 */
export function diagramTreatment(
  type: string,
): "link" | "pass-through" | "dropped" | "styled" | "monitoring" | "network" | undefined {
  if (LINKS[type]) return "link";
  if (PASS_THROUGH.has(type)) return "pass-through";
  if (DROP.has(type)) return "dropped";
  if (STYLES[type]) return "styled";
  if (MONITORING.test(type)) return "monitoring";
  if (NETWORK_TYPES.has(type)) return "network";
  return undefined;
}
const styleOf = (address: string) =>
  STYLES[typeOf(address)] ?? (MONITORING.test(typeOf(address)) ? MONITORING_STYLE : NETWORK);

const label = (address: string) => {
  const what = styleOf(address).what;
  return what ? `${address}\\n${what}` : address;
};

/** Graphviz source: dependencies on the left, what uses them to the right. */
export function toDot(graph: Graph, title: string): string {
  const lines = [
    "digraph stack {",
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=16, labelloc=t, nodesep=0.25, ranksep=0.6,',
    `         label="${title}\\narrows point from a resource to those that use it"];`,
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
    '  edge [color="#555555", arrowsize=0.7];',
  ];
  const node = (n: string) => `"${n}" [label="${label(n)}", fillcolor="${styleOf(n).fill}"];`;
  const monitoring = graph.nodes.filter((n) => MONITORING.test(typeOf(n)));
  for (const n of graph.nodes.filter((m) => !monitoring.includes(m))) lines.push(`  ${node(n)}`);
  if (monitoring.length > 0) {
    lines.push("  subgraph cluster_monitoring {", '    label="monitoring"; style="rounded,dashed"; color="#9a86c2";');
    for (const n of monitoring) lines.push(`    ${node(n)}`);
    lines.push("  }");
  }
  for (const [a, b] of graph.edges) lines.push(`  "${b}" -> "${a}";`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

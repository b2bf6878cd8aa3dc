// Construct ids become Terraform addresses after normalisation (`extra-ip` and `extra_ip` both
// become `aws_eip.extra_ip`), and cdktf would silently merge two such resources into one. This
// aspect makes that an error at synth, naming both constructs.
import { Aspects, TerraformElement, TerraformResource, TerraformStack, type IAspect } from "cdktf";
import type { Construct, IConstruct, Node } from "constructs";
import { ConstructError } from "../constructs/construct-error";

export class UniqueAddresses implements IAspect {
  private readonly seen = new Map<string, string>();

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const address = `${node.terraformResourceType}.${node.friendlyUniqueId}`;
    const first = this.seen.get(address);
    if (first !== undefined && first !== node.node.path) {
      throw new ConstructError(
        node,
        `has the Terraform address ${address}, which ${first} already has; rename one of the two construct ids`,
      );
    }
    this.seen.set(address, node.node.path);
  }
}

/**
 * A stack whose Terraform addresses are the construct path below it, joined by "_", without
 * cdktf's hash suffix (`aws_instance.proxy`, `aws_eip.proxy_ingress`): readable in plans and
 * state commands, and stable as long as construct ids are. Duplicates are refused at synth.
 */
export class ReadableAddressStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    Aspects.of(this).add(new UniqueAddresses());
  }

  protected allocateLogicalId(element: TerraformElement | Node): string {
    const node = element instanceof TerraformElement ? element.node : element;
    const parts = node.scopes
      .slice(node.scopes.indexOf(this) + 1)
      .map((scope) => scope.node.id)
      .filter((id) => id !== "Default");
    return parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");
  }
}

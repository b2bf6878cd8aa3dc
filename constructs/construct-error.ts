// The one error type a construct throws for props it cannot build: it names the construct's
// path in the tree (stack/construct/...), so the message says where, and scripts can tell it
// from a crash by its type.
import type { IConstruct } from "constructs";

export class ConstructError extends Error {
  override name = "ConstructError";
  /** Where in the construct tree, e.g. `sip-proxy-prod/proxy`. */
  readonly constructPath: string;

  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.constructPath = scope.node.path;
  }
}

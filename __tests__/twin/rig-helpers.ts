// What the twin's call scenarios share: a rig per describe (lab/twin/rig.ts), stopped also
// when a test fails, and the outcome a test compares.
import type { SippResult } from "../../lab/sipp";
import type { ReplyPolicy } from "../../lab/twin/edge";
import type { TwinArchitecture, TwinOptions } from "../../lab/twin/network";
import { Rig } from "../../lab/twin/rig";
import { kindOf } from "../../lab/trace";
import { requireKamailioRoot, requireTool } from "../tools/require-tool";

/** Starts a rig before the describe's tests and stops it after them, also when they fail. */
export function useRig(
  architecture: TwinArchitecture,
  env: string,
  replies: ReplyPolicy,
  twin: TwinOptions = {},
): () => Rig {
  let rig: Rig | undefined;
  beforeAll(async () => {
    requireKamailioRoot();
    for (const tool of ["sipp", "ip", "nft", "conntrack"]) requireTool(tool);
    rig = await Rig.start(architecture, env, replies, twin);
  }, 30000);
  afterAll(async () => rig?.stop());
  return () => rig!;
}

/**
 * What a SIPp end received, a retransmission (the same kind again at once: UDP, scaled T1)
 * counted once.
 */
export const received = (r: SippResult) =>
  r.messages
    .filter((m) => m.direction === "received")
    .map(kindOf)
    .filter((kind, i, kinds) => kind !== kinds[i - 1]);
/** What a test compares: both ends passed, the destination's ACL refused nothing. */
export const outcome = (r: { caller: SippResult; callee: SippResult; refused: string[] }) => ({
  caller: { exitCode: r.caller.exitCode, errors: r.caller.errors },
  callee: r.callee.exitCode,
  refusedByDestination: r.refused,
});
export const PASSED = { caller: { exitCode: 0, errors: "" }, callee: 0, refusedByDestination: [] };

export const CASES: [TwinArchitecture, string][] = [
  ["single", "dev"],
  ["load-balanced", "staging"],
];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A call whose INVITE is about 1,800 bytes, as in INC-979. */
export async function bigCall(rig: Rig, timeoutSeconds?: number) {
  const vars = { padding: "x".repeat(560) };
  const result = await rig.call("uas-answer.xml", "uac-big-invite.xml", { vars, timeoutSeconds });
  const size = Buffer.byteLength(result.caller.messages.find((m) => m.direction === "sent")?.text ?? "");
  return { result, size };
}

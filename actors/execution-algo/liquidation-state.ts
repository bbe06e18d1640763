/**
 * What a learned execution policy sees and how its action becomes a child: one definition shared by the training
 * environment (supervisors/execution-learning) and the `RL` algorithm, so the policy is served exactly the
 * observation it learned on. The environment sells; a buy parent sees the mirror image (the ask side's depth, the
 * drift signed so that positive is in the parent's favour).
 */
import type { Side } from "../domain/index.ts";

/** The policy's input row, in order (the model card's featureSet `liquidation-state` v1). */
export const liquidationFeatures = ["timeLeft", "inventoryLeft", "spreadTicks", "touchDepth", "driftBps"] as const;
export const LIQUIDATION_STATE = { name: "liquidation-state", version: 1 } as const;
/** Width of the observation row: the policy's ONNX input. */
export const OBSERVATION_WIDTH = liquidationFeatures.length;

export const liquidationFeatureDoc: Record<(typeof liquidationFeatures)[number], string> = {
  timeLeft: "decisions left / decisions per episode",
  inventoryLeft: "lots left / parent lots",
  spreadTicks: "(ask − bid) / tick / 10",
  touchDepth: "best bid size / the TWAP child of the lots left, capped at 5, / 5",
  driftBps: "(mid − arrival mid) / arrival mid in bps / 100",
};

/** The parent and its market at a decision; prices in any one unit (ratios only), sizes in lots. */
export interface LiquidationState {
  side: Side;
  decisions: number;
  decisionsLeft: number;
  /** lots not yet sold (bought) */
  lotsLeft: number;
  parentLots: number;
  bid: number;
  ask: number;
  tick: number;
  /** size at the touch the parent takes from (bid for a sell, ask for a buy), in lots */
  touchLots: number;
  arrivalMid: number;
}

export function liquidationObservation(s: LiquidationState): number[] {
  const mid = (s.bid + s.ask) / 2;
  const twap = s.decisionsLeft > 0 && s.lotsLeft > 0 ? s.lotsLeft / s.decisionsLeft : 1;
  const drift = s.side === "SELL" ? mid - s.arrivalMid : s.arrivalMid - mid;
  return [
    s.decisionsLeft / s.decisions,
    s.lotsLeft / s.parentLots,
    (s.ask - s.bid) / s.tick / 10,
    Math.min(5, s.touchLots / twap) / 5,
    (drift / s.arrivalMid) * 100,
  ];
}

/**
 * The child of action u ∈ [0, 1] (clamped): the lots left × min(1, 2u / decisions left), rounded to whole lots, so
 * u = 0.5 is TWAP's child, 0 waits and 1 sends twice TWAP's; the last decision sends whatever is left.
 */
export function liquidationChildLots(action: number, lotsLeft: number, decisionsLeft: number): number {
  if (!Number.isFinite(action)) throw new RangeError(`action: ${action} must be a finite number in [0, 1]`);
  if (decisionsLeft <= 1) return lotsLeft;
  const u = Math.min(1, Math.max(0, action));
  return Math.min(lotsLeft, Math.round(lotsLeft * Math.min(1, (2 * u) / decisionsLeft)));
}

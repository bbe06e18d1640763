import {
  CancelCause,
  ExecType,
  type ExecutionReport,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
  reportWithoutFill,
} from "../../domain/index.ts";
import { type Emitted, subjects } from "../../contract/index.ts";
import type { VenueReason } from "./reasons.ts";
import type { LocalOrder } from "./reconcile.ts";
import type { VenueConnectionContext } from "./state.ts";

/* What a venue connection sends: commands to its adapter, execution reports to order actors, replies. */

const adapterSubject = (c: VenueConnectionContext) => subjects.cmd("venue-adapter", c.config.venue);
const orderSubject = (clientOrderId: string) => subjects.cmd("order", clientOrderId);
export const stamp = (nowUs: number) => ({ tsEvent: nowUs, tsInit: nowUs });
export const toAdapter = (c: VenueConnectionContext, message: Record<string, unknown> & { type: string }): Emitted => ({
  type: "publish",
  subject: adapterSubject(c),
  message,
});

/** the key of a report's forward, before its execId */
export const REPORT_KEY = "report:";

/**
 * A report to its order actor, asked again until the order answers: a fill published once would be lost with a NATS
 * server that dies holding it, and nothing else tells a resting order it filled. The order applies an execId once.
 */
export function forward(r: ExecutionReport): Emitted {
  return {
    type: "forward",
    key: `${REPORT_KEY}${r.execId}`,
    subject: orderSubject(r.clientOrderId),
    message: { type: "ExecutionReport", ...r },
  };
}

export function refusedNew(
  c: VenueConnectionContext,
  cmd: Pick<VenueNewOrder, "clientOrderId" | "version" | "instrument" | "side">,
  code: VenueReason,
  nowUs: number,
): ExecutionReport {
  return reportWithoutFill(
    cmd,
    ExecType.Rejected,
    `refused:${c.config.venue}:${cmd.clientOrderId}:${cmd.version}:${nowUs}`,
    c.lastVenueSeq,
    nowUs,
    {
      text: `${code}: venue ${c.config.venue} refused the order`,
    },
  );
}

export function refusedAmend(
  c: VenueConnectionContext,
  cmd: VenueCancelOrder | VenueReplaceOrder,
  code: VenueReason,
  nowUs: number,
): ExecutionReport {
  return {
    ...refusedNew(c, { ...cmd, version: 0 }, code, nowUs),
    execType: ExecType.CancelRejected,
    execId: `refused:${c.config.venue}:${cmd.clientOrderId}:amend:${nowUs}`,
  };
}

export const reply = (ok: boolean, code: VenueReason | undefined, message: string): Emitted =>
  ok ? { type: "reply", ok: true, result: { message } } : { type: "reply", ok: false, error: { code: code ?? "", message } };

export function cancelCommand(o: LocalOrder, nowUs: number): { type: "VenueCancelOrder" } & VenueCancelOrder {
  return {
    type: "VenueCancelOrder",
    clientOrderId: o.clientOrderId,
    ...(o.venueOrderId !== undefined ? { venueOrderId: o.venueOrderId } : {}),
    instrument: o.instrument,
    side: o.side,
    cause: CancelCause.KillSwitch,
    ...stamp(nowUs),
  };
}

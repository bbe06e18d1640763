import {
  Contingency,
  ExecType,
  formatFixed,
  LegRole,
  Liquidity,
  type NativeListLeg,
  OrderType,
  parseFixed,
  Side,
  TimeInForce,
} from "../../domain/index.ts";

/**
 * FIX 4.4 codes and the platform's vocabulary, both ways. Prices, quantities and fees travel as decimal text
 * (never a binary float), read back exactly into fixed-point units.
 */
export const FixMsgType = {
  NewOrderSingle: "D",
  OrderCancelRequest: "F",
  OrderCancelReplaceRequest: "G",
  OrderStatusRequest: "H",
  OrderMassStatusRequest: "AF",
  NewOrderList: "E",
  ExecutionReport: "8",
  OrderCancelReject: "9",
  ListStatus: "N",
} as const;

/** Tags read straight off a message view on the hot path (MsgView.getString by number). */
export const Tag = {
  AvgPx: 6,
  ClOrdID: 11,
  Commission: 12,
  CumQty: 14,
  ExecID: 17,
  ExecInst: 18,
  LastPx: 31,
  ListID: 66,
  ListSeqNo: 67,
  TotNoOrders: 68,
  ListExecInst: 69,
  LastQty: 32,
  MsgSeqNum: 34,
  OrderID: 37,
  OrderQty: 38,
  OrdStatus: 39,
  OrdType: 40,
  OrigClOrdID: 41,
  PossDupFlag: 43,
  Price: 44,
  Side: 54,
  Symbol: 55,
  Text: 58,
  TimeInForce: 59,
  TransactTime: 60,
  StopPx: 99,
  CxlRejReason: 102,
  OrdRejReason: 103,
  ExpireTime: 126,
  ExecType: 150,
  ExecRestatementReason: 378,
  ListStatusType: 429,
  ListStatusText: 444,
  ListOrderStatus: 431,
  LeavesQty: 151,
  CxlRejResponseTo: 434,
  MassStatusReqID: 584,
  OrdStatusReqID: 790,
  TotNumReports: 911,
  LastRptRequested: 912,
  LastLiquidityInd: 851,
} as const;

const sideCode: Record<Side, string> = { [Side.Buy]: "1", [Side.Sell]: "2" };
const ordTypeCode: Record<OrderType, string> = {
  [OrderType.Market]: "1",
  [OrderType.Limit]: "2",
  [OrderType.Stop]: "3",
  [OrderType.StopLimit]: "4",
};
const tifCode: Record<TimeInForce, string> = {
  [TimeInForce.Day]: "0",
  [TimeInForce.Gtc]: "1",
  [TimeInForce.Ioc]: "3",
  [TimeInForce.Fok]: "4",
  [TimeInForce.Gtd]: "6",
};

const invert = <K extends string>(m: Record<K, string>): Map<string, K> =>
  new Map(Object.entries(m).map(([k, v]) => [v as string, k as K]));
const sideOf = invert(sideCode);
const ordTypeOf = invert(ordTypeCode);
const tifOf = invert(tifCode);

/** The problem with one field of a FIX message: the tag, and what is wrong with its value. */
export class FixFieldError extends Error {
  constructor(
    readonly tag: number,
    message: string,
  ) {
    super(`tag ${tag}: ${message}`);
    this.name = "FixFieldError";
  }
}

const coded = <K>(m: Map<string, K>, tag: number, code: string | undefined): K => {
  const v = code === undefined ? undefined : m.get(code);
  if (v === undefined) throw new FixFieldError(tag, code === undefined ? "required" : `unsupported value ${JSON.stringify(code)}`);
  return v;
};

export const fixSide = (s: Side): string => sideCode[s];
export const fixOrdType = (t: OrderType): string => ordTypeCode[t];
export const fixTimeInForce = (t: TimeInForce): string => tifCode[t];
export const sideFromFix = (code: string | undefined): Side => coded(sideOf, Tag.Side, code);
export const ordTypeFromFix = (code: string | undefined): OrderType => coded(ordTypeOf, Tag.OrdType, code);
/** FIX's default time in force is DAY. */
export const timeInForceFromFix = (code: string | undefined): TimeInForce =>
  code === undefined ? TimeInForce.Day : coded(tifOf, Tag.TimeInForce, code);

/** ExecInst 6 (participate, don't initiate) is post-only; E (do not increase) is reduce-only. */
export const fixExecInst = (postOnly: boolean, reduceOnly: boolean): string | undefined =>
  [postOnly ? "6" : "", reduceOnly ? "E" : ""].filter(Boolean).join(" ") || undefined;
export const execInstFromFix = (text: string | undefined) => {
  const codes = new Set((text ?? "").split(" "));
  return { postOnly: codes.has("6"), reduceOnly: codes.has("E") };
};

/** FIX ExecType and OrdStatus of a platform execution (fills are ExecType F, TRADE, since FIX 4.3). */
export function fixExecType(t: ExecType): string {
  switch (t) {
    case ExecType.New:
      return "0";
    case ExecType.PartialFill:
    case ExecType.Fill:
      return "F";
    case ExecType.Canceled:
      return "4";
    case ExecType.Replaced:
      return "5";
    case ExecType.PendingCancel:
      return "6";
    case ExecType.Rejected:
      return "8";
    case ExecType.Expired:
      return "C";
    case ExecType.PendingReplace:
      return "E";
    case ExecType.CancelRejected:
      throw new FixFieldError(Tag.ExecType, "a cancel reject travels as OrderCancelReject (35=9), not as an ExecutionReport");
  }
}

/** The platform's ExecType of a FIX execution; a TRADE is a fill when nothing is left, else a partial fill. */
export function execTypeFromFix(code: string | undefined, leavesQty: number): ExecType {
  switch (code) {
    case "0":
      return ExecType.New;
    case "F":
    case "1":
    case "2":
      return leavesQty === 0 ? ExecType.Fill : ExecType.PartialFill;
    case "4":
      return ExecType.Canceled;
    case "5":
    // a restatement by the venue (a list leg sized to its entry's fill): the order continues at the restated size
    case "D":
      return ExecType.Replaced;
    case "6":
      return ExecType.PendingCancel;
    case "8":
      return ExecType.Rejected;
    case "C":
      return ExecType.Expired;
    case "E":
      return ExecType.PendingReplace;
    default:
      throw new FixFieldError(Tag.ExecType, code === undefined ? "required" : `unsupported value ${JSON.stringify(code)}`);
  }
}

/** OrdStatus after an execution: what the order is once the report applies. */
export function fixOrdStatus(t: ExecType, cumQty: number, leavesQty: number): string {
  switch (t) {
    case ExecType.Canceled:
      return "4";
    case ExecType.Rejected:
      return "8";
    case ExecType.Expired:
      return "C";
    case ExecType.PendingCancel:
      return "6";
    case ExecType.PendingReplace:
      return "E";
    default:
      return leavesQty === 0 && cumQty > 0 ? "2" : cumQty > 0 ? "1" : "0";
  }
}

/** OrdStatus values of an order still working at the venue. */
export const openOrdStatus: ReadonlySet<string> = new Set(["0", "1", "6", "A", "E"]);

export const fixLiquidity = (l: Liquidity): number => (l === Liquidity.Maker ? 1 : 2);
export const liquidityFromFix = (code: string | undefined): Liquidity | undefined =>
  code === "1" ? Liquidity.Maker : code === "2" ? Liquidity.Taker : undefined;

/** Fixed-point units as FIX decimal text. */
export const decimal = (units: number): string => formatFixed(units);
/** FIX decimal text read into fixed-point units; the error names the tag. */
export function unitsOf(text: string | undefined, tag: number): number {
  if (text === undefined) throw new FixFieldError(tag, "required");
  try {
    return parseFixed(text, `tag ${tag}`);
  } catch (e) {
    throw new FixFieldError(tag, e instanceof Error ? e.message : String(e));
  }
}

/**
 * ClOrdID of each request about one platform order. FIX wants a new ClOrdID per request; the platform keeps one
 * clientOrderId per order (versions count its replaces), so the ClOrdID is the clientOrderId, `~<version>` for a
 * replace and `~x<n>` for a cancel. Platform order ids never hold `~` here (refused on the way out).
 */
export const CLORDID_SEPARATOR = "~";
export const newOrderClOrdId = (clientOrderId: string, version: number): string =>
  version === 1 ? clientOrderId : `${clientOrderId}${CLORDID_SEPARATOR}${version}`;
export const cancelClOrdId = (clientOrderId: string, n: number): string => `${clientOrderId}${CLORDID_SEPARATOR}x${n}`;
export function orderOfClOrdId(clOrdId: string): { clientOrderId: string; version?: number } {
  const at = clOrdId.indexOf(CLORDID_SEPARATOR);
  if (at < 0) return { clientOrderId: clOrdId };
  const suffix = clOrdId.slice(at + 1);
  const version = /^\d+$/.test(suffix) ? Number(suffix) : undefined;
  return { clientOrderId: clOrdId.slice(0, at), ...(version !== undefined ? { version } : {}) };
}

/** A field's text, or undefined when the message does not carry it (the engine answers null). */
export const field = (view: { getString(tag: number): string | null | undefined }, tag: number): string | undefined =>
  view.getString(tag) ?? undefined;

/**
 * An order list over FIX 4.4: NewOrderList (35=E) with ListID, BidType 3 (no bidding process) and the list's legs in
 * ListOrdGrp, each leg's ListSeqNo its place in the list (1-based). FIX 4.4 has no ContingencyType (1385 came with
 * FIX 5.0 SP1), so the contingency travels as FIX 4.4 says list handling instructions do: free text in ListExecInst
 * (69), here `OCO`, `OTO`, `OTO TRIGGER_ON_PARTIAL` or `BRACKET`. A leg's role follows from the contingency and its
 * place, as the platform builds lists (OTO: the primary first; bracket: entry, take-profit, stop-loss).
 */
export const BID_TYPE_NO_BIDDING = 3;
export const LIST_EXEC_INST_IMMEDIATE = "1";
const TRIGGER_ON_PARTIAL = "TRIGGER_ON_PARTIAL";

export const fixListExecInst = (l: Pick<NativeListLeg, "contingency" | "triggerOnPartial">): string =>
  l.triggerOnPartial ? `${l.contingency} ${TRIGGER_ON_PARTIAL}` : l.contingency;

export function listTermsFromFix(text: string | undefined): Pick<NativeListLeg, "contingency" | "triggerOnPartial"> {
  const [contingency, ...flags] = (text ?? "").trim().split(/\s+/);
  const known = Object.values(Contingency) as string[];
  if (!contingency || !known.includes(contingency))
    throw new FixFieldError(
      Tag.ListExecInst,
      `${text === undefined ? "required" : `unsupported value ${JSON.stringify(text)}`}: one of ${known.join(", ")}`,
    );
  const unknownFlag = flags.find((f) => f !== TRIGGER_ON_PARTIAL);
  if (unknownFlag !== undefined) throw new FixFieldError(Tag.ListExecInst, `unsupported instruction ${JSON.stringify(unknownFlag)}`);
  const triggerOnPartial = flags.includes(TRIGGER_ON_PARTIAL);
  if (triggerOnPartial && contingency !== Contingency.Oto)
    throw new FixFieldError(Tag.ListExecInst, `${TRIGGER_ON_PARTIAL} applies to an OTO, not an ${contingency}`);
  return { contingency: contingency as Contingency, triggerOnPartial };
}

/** The role of the leg at `leg` (0-based) of a list of `legCount` legs; undefined where that list has no such leg. */
export function legRoleOf(contingency: Contingency, leg: number, legCount: number): LegRole | undefined {
  if (!Number.isInteger(leg) || leg < 0 || leg >= legCount) return undefined;
  switch (contingency) {
    case Contingency.Oco:
      return LegRole.Member;
    case Contingency.Oto:
      return leg === 0 ? LegRole.Primary : LegRole.Secondary;
    case Contingency.Bracket:
      return legCount === 3 ? [LegRole.Entry, LegRole.TakeProfit, LegRole.StopLoss][leg] : undefined;
  }
}

/** ListStatusType (429) and ListOrderStatus (431) of the two list statuses the acceptor sends. */
export const ListStatusType = { Ack: 1, AllDone: 5 } as const;
export const ListOrderStatus = { ReceivedForExecution: 2, AllDone: 6, Reject: 7 } as const;

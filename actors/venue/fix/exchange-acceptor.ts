import { type IJsFixConfig, type ISessionDescription, type MsgView, SessionState } from "./engine.ts";
import {
  CancelCause,
  type Contingency,
  ExecType,
  type ExecutionReport,
  type NativeListLeg,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
} from "../../domain/index.ts";
import type { VenueOpenOrder } from "../connection/adapter.ts";
import { type BusMessage, type FixSessionConfig, fixExchangeSubjects, type VenueBus } from "./bus.ts";
import { FixEndpointLauncher, sessionDescription, VenueFixSession } from "./fix-session.ts";
import { DurableFixSessionStores, type FixSessionBucket } from "./session-store.ts";
import {
  decimal,
  execInstFromFix,
  field,
  FixFieldError,
  FixMsgType,
  fixExecType,
  fixLiquidity,
  fixOrdStatus,
  fixSide,
  legRoleOf,
  ListOrderStatus,
  ListStatusType,
  listTermsFromFix,
  orderOfClOrdId,
  ordTypeFromFix,
  sideFromFix,
  Tag,
  timeInForceFromFix,
  unitsOf,
} from "./wire.ts";

/** The FIX identity of one platform order at the acceptor: its live ClOrdID and the request awaiting an answer. */
interface OrderIds {
  current: string;
  version: number;
  pending?: { clOrdId: string; kind: "CANCEL" | "REPLACE" };
}

const UNKNOWN_ORDER = 5;
const OTHER = 99;
/** ExecRestatementReason 5, partial decline of OrderQty: the venue sized a list's leg below what was sent */
const PARTIAL_DECLINE = 5;
/** NoOrders (73): the count of a NewOrderList's legs */
const NO_ORDERS = 73;

/** A list the acceptor saw come in: its legs' latest state, for its ListStatus messages. */
interface ListAtVenue {
  contingency: Contingency;
  legCount: number;
  rptSeq: number;
  legs: Map<
    string,
    { clOrdId: string; quantity: number; cumQty: number; leavesQty: number; avgPx: number; ordStatus: string; closed: boolean }
  >;
}

class AcceptorSession extends VenueFixSession<AcceptorSession> {
  constructor(
    config: IJsFixConfig,
    private readonly owner: FixExchangeAcceptor,
  ) {
    super(config, owner);
  }
  get stopped(): boolean {
    return this.getState() === SessionState.Stopped;
  }
  /** after the resends in progress: an answer about state must not overtake the executions it summarises */
  replyAfterResends(msgType: string, bodies: Record<string, unknown>[]): void {
    void this.afterResends().then(() => {
      for (const b of bodies) {
        // the line went while waiting: held for the next session, whose resend covers nothing sent here
        if (this.stopped) this.owner.hold(msgType, b);
        else this.send(msgType, b);
      }
    });
  }
}

/**
 * A FIX 4.4 acceptor in front of the simulated exchange of one venue: NewOrderSingle, OrderCancelRequest,
 * OrderCancelReplaceRequest, OrderStatusRequest and OrderMassStatusRequest in; ExecutionReport and
 * OrderCancelReject out. It speaks to the exchange actor with the venue-adapter protocol on
 * `fixExchangeSubjects(venue)`, so the exchange (its book, snapshots and restarts) is the same code as for a NATS
 * venue. Its sequence numbers and sent messages live in the node's durable bucket, so a resend after a dropped
 * line or a restart replays the execution reports the counterparty missed.
 */
export class FixExchangeAcceptor {
  private launcher: FixEndpointLauncher | undefined;
  private session: AcceptorSession | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly stores: DurableFixSessionStores;
  private readonly ids = new Map<string, OrderIds>();
  private readonly byClOrdId = new Map<string, string>();
  /** the list of each leg the exchange holds in one (its reports carry the ListID), and those lists */
  private readonly listOf = new Map<string, string>();
  private readonly lists = new Map<string, ListAtVenue>();
  private readonly massStatus: string[] = [];
  private readonly orderStatus = new Map<string, string[]>();
  private readonly subjects: ReturnType<typeof fixExchangeSubjects>;
  /** reports the exchange sent while no session was up: sent after the counterparty's resends, in order */
  private readonly held: { msgType: string; body: Record<string, unknown> }[] = [];
  private releaseTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly config: FixSessionConfig,
    private readonly bus: VenueBus,
    bucket: FixSessionBucket,
    private readonly nowUs: () => number = () => Date.now() * 1000,
  ) {
    this.stores = new DurableFixSessionStores(bucket, `fix-acceptor-${config.venue}`, true);
    this.subjects = fixExchangeSubjects(config.venue);
  }

  start(): void {
    this.unsubscribe ??= this.bus.subscribe(this.subjects.fromExchange, (m) => this.onExchange(m));
    if (this.launcher) return;
    const launcher = new FixEndpointLauncher({
      description: this.description(),
      stores: this.stores,
      makeSession: (config) => new AcceptorSession(config, this),
    });
    this.launcher = launcher;
    void launcher.run().catch(() => {});
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.releaseTimer);
    this.session?.logout("acceptor stopping");
    this.launcher?.stop();
    this.launcher = undefined;
    await Promise.all(this.stores.opened.map((s) => s.flush().catch(() => {})));
  }

  /** The live session (tests drop its line). */
  get current(): VenueFixSession | undefined {
    return this.session;
  }

  private description(): ISessionDescription {
    return sessionDescription(this.config, { type: "acceptor" });
  }

  private toExchange(message: BusMessage): void {
    this.bus.publish(this.subjects.toExchange, message);
  }

  onLoggedOn(s: AcceptorSession): void {
    this.session = s;
    this.toExchange({ type: "AdapterConnect", venue: this.config.venue });
    // a counterparty that asks nothing still gets the held reports, after its resend request had time to arrive
    if (this.held.length > 0) this.releaseTimer = setTimeout(() => this.releaseHeld(s), 1_000);
  }

  /** The held reports, after any resend in progress (a counterparty's first request comes after its resend request). */
  private releaseHeld(s: AcceptorSession): void {
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    if (this.held.length === 0 || this.session !== s) return;
    const held = this.held.splice(0);
    for (const h of held) s.replyAfterResends(h.msgType, [h.body]);
  }

  hold(msgType: string, body: Record<string, unknown>): void {
    this.held.push({ msgType, body });
  }

  /** Sent on the live session after its resends in progress; held while none is up (a stopped one drops sends). */
  private reply(msgType: string, body: Record<string, unknown>): void {
    const s = this.session;
    if (s && !s.stopped && this.held.length === 0) s.replyAfterResends(msgType, [body]);
    else this.held.push({ msgType, body });
  }

  onSessionEnded(s: AcceptorSession, _reason: string): void {
    if (this.session !== s) return;
    this.session = undefined;
    clearTimeout(this.releaseTimer);
    this.massStatus.length = 0;
    this.orderStatus.clear();
    this.toExchange({ type: "AdapterDisconnect", venue: this.config.venue, reason: "FIX session ended" });
  }

  private orderOf(clOrdId: string): string {
    return this.byClOrdId.get(clOrdId) ?? orderOfClOrdId(clOrdId).clientOrderId;
  }

  private required(view: MsgView, tag: number): string {
    const v = field(view, tag);
    if (v === undefined || v === "") throw new FixFieldError(tag, "required");
    return v;
  }

  private stamp(view: MsgView) {
    const now = this.nowUs();
    const transact = view.getTyped(Tag.TransactTime) as Date | undefined;
    return { tsEvent: transact ? transact.getTime() * 1000 : now, tsInit: now };
  }

  onFixMessage(msgType: string, view: MsgView): void {
    if (this.session) this.releaseHeld(this.session);
    switch (msgType) {
      case FixMsgType.NewOrderSingle:
        this.onNewOrder(view);
        return;
      case FixMsgType.NewOrderList:
        this.onNewOrderList(view);
        return;
      case FixMsgType.OrderCancelRequest:
        this.onCancel(view);
        return;
      case FixMsgType.OrderCancelReplaceRequest:
        this.onReplace(view);
        return;
      case FixMsgType.OrderStatusRequest: {
        const clientOrderId = this.orderOf(this.required(view, Tag.ClOrdID));
        const asked = this.orderStatus.get(clientOrderId) ?? [];
        asked.push(field(view, Tag.OrdStatusReqID) ?? clientOrderId);
        this.orderStatus.set(clientOrderId, asked);
        this.toExchange({ type: "AdapterOrderStatusRequest", venue: this.config.venue, clientOrderId });
        return;
      }
      case FixMsgType.OrderMassStatusRequest:
        this.massStatus.push(this.required(view, Tag.MassStatusReqID));
        this.toExchange({ type: "AdapterRequestState", venue: this.config.venue, sinceSeq: Number.MAX_SAFE_INTEGER });
        return;
      default:
        return;
    }
  }

  private onNewOrder(view: MsgView): void {
    const { order, clOrdId } = this.termsOf(view);
    this.ids.set(order.clientOrderId, { current: clOrdId, version: order.version });
    this.byClOrdId.set(clOrdId, order.clientOrderId);
    this.toExchange({ type: "VenueNewOrder", ...order });
  }

  /**
   * A NewOrderList (or one fragment of it): each leg goes to the exchange tagged with its list, as the in-process
   * venue takes a list, and the exchange assembles the list from its legs (TotNoOrders of them) and holds it. Every
   * leg is read before any is sent: a bad one refuses the message and sends nothing. A ListStatus acknowledges it.
   */
  private onNewOrderList(view: MsgView): void {
    const listId = this.required(view, Tag.ListID);
    const terms = listTermsFromFix(field(view, Tag.ListExecInst));
    const legCount = view.getTyped(Tag.TotNoOrders) as number | undefined;
    if (legCount === undefined || !Number.isInteger(legCount) || legCount < 2 || legCount > 10)
      throw new FixFieldError(Tag.TotNoOrders, `a list has 2 to 10 legs, got ${field(view, Tag.TotNoOrders) ?? "none"}`);
    const group = view.getView("ListOrdGrp.NoOrders") ?? view.getView("NoOrders");
    const count = group?.groupCount() ?? 0;
    if (!group || count === 0) throw new FixFieldError(NO_ORDERS, "required: the list's legs");
    const known = this.lists.get(listId);
    if (known && (known.contingency !== terms.contingency || known.legCount !== legCount))
      throw new FixFieldError(Tag.ListExecInst, `list ${listId} is a ${known.contingency} of ${known.legCount} legs`);
    const legs: { order: VenueNewOrder; clOrdId: string }[] = [];
    for (let i = 0; i < count; i++) {
      const leg = group.getGroupInstance(i);
      if (!leg) throw new FixFieldError(NO_ORDERS, `leg ${i + 1} is missing`);
      const seq = leg.getTyped(Tag.ListSeqNo) as number | undefined;
      const role = legRoleOf(terms.contingency, (seq ?? 0) - 1, legCount);
      if (seq === undefined || role === undefined)
        throw new FixFieldError(
          Tag.ListSeqNo,
          `${seq ?? "required"}: a ${terms.contingency} of ${legCount} legs has legs 1 to ${legCount}`,
        );
      const list: NativeListLeg = { listId, ...terms, leg: seq - 1, legCount, role };
      const { order, clOrdId } = this.termsOf(leg);
      legs.push({ order: { ...order, list }, clOrdId });
    }
    const at = known ?? { contingency: terms.contingency, legCount, rptSeq: 0, legs: new Map() };
    this.lists.set(listId, at);
    for (const { order, clOrdId } of legs) {
      this.ids.set(order.clientOrderId, { current: clOrdId, version: order.version });
      this.byClOrdId.set(clOrdId, order.clientOrderId);
      this.listOf.set(order.clientOrderId, listId);
      at.legs.set(order.clientOrderId, {
        clOrdId,
        quantity: order.quantity,
        cumQty: 0,
        leavesQty: order.quantity,
        avgPx: 0,
        ordStatus: "A",
        closed: false,
      });
    }
    this.reply(FixMsgType.ListStatus, this.listStatus(listId, at, ListStatusType.Ack, ListOrderStatus.ReceivedForExecution));
    for (const { order } of legs) this.toExchange({ type: "VenueNewOrder", ...order });
  }

  private listStatus(listId: string, list: ListAtVenue, statusType: number, orderStatus: number): Record<string, unknown> {
    return {
      ListID: listId,
      ListStatusType: statusType,
      NoRpts: 1,
      ListOrderStatus: orderStatus,
      RptSeq: ++list.rptSeq,
      TransactTime: new Date(Math.floor(this.nowUs() / 1000)),
      TotNoOrders: list.legCount,
      OrdListStatGrp: {
        NoOrders: [...list.legs.values()].map((l) => ({
          ClOrdID: l.clOrdId,
          CumQty: decimal(l.cumQty),
          OrdStatus: l.ordStatus,
          LeavesQty: decimal(l.leavesQty),
          // canceled or expired: what was not filled
          CxlQty: decimal(l.ordStatus === "4" || l.ordStatus === "C" ? l.quantity - l.cumQty : 0),
          AvgPx: decimal(l.avgPx),
        })),
      },
    };
  }

  /** A leg's report: the list's view of it, and the list's ListStatus once every leg has ended. */
  private followList(r: ExecutionReport, closed: boolean, ordStatus: string): void {
    const listId = this.listOf.get(r.clientOrderId);
    const list = listId === undefined ? undefined : this.lists.get(listId);
    const leg = list?.legs.get(r.clientOrderId);
    if (!listId || !list || !leg) return;
    if (r.execType === ExecType.Replaced && r.quantity !== undefined) leg.quantity = r.quantity;
    Object.assign(leg, { cumQty: r.cumQty, leavesQty: closed ? 0 : r.leavesQty, avgPx: r.avgPx, ordStatus, closed });
    if (!closed || list.legs.size < list.legCount || [...list.legs.values()].some((l) => !l.closed)) return;
    const anyFilled = [...list.legs.values()].some((l) => l.cumQty > 0);
    const allRejected = [...list.legs.values()].every((l) => l.ordStatus === "8");
    this.reply(
      FixMsgType.ListStatus,
      this.listStatus(listId, list, ListStatusType.AllDone, allRejected && !anyFilled ? ListOrderStatus.Reject : ListOrderStatus.AllDone),
    );
    this.lists.delete(listId);
    for (const id of list.legs.keys()) this.listOf.delete(id);
  }

  /** An order's terms from a NewOrderSingle, or from one leg of a NewOrderList (its TransactTime, else now). */
  private termsOf(view: MsgView): { order: VenueNewOrder; clOrdId: string } {
    const clOrdId = this.required(view, Tag.ClOrdID);
    const { clientOrderId, version } = orderOfClOrdId(clOrdId);
    const price = field(view, Tag.Price);
    const stop = field(view, Tag.StopPx);
    const expire = view.getTyped(Tag.ExpireTime) as Date | undefined;
    const { postOnly, reduceOnly } = execInstFromFix(field(view, Tag.ExecInst));
    const order: VenueNewOrder = {
      clientOrderId,
      version: version ?? 1,
      instrument: this.required(view, Tag.Symbol),
      side: sideFromFix(field(view, Tag.Side)),
      orderType: ordTypeFromFix(field(view, Tag.OrdType)),
      quantity: unitsOf(this.required(view, Tag.OrderQty), Tag.OrderQty) as VenueNewOrder["quantity"],
      ...(price !== undefined ? { price: unitsOf(price, Tag.Price) as VenueNewOrder["quantity"] } : {}),
      ...(stop !== undefined ? { stopPrice: unitsOf(stop, Tag.StopPx) as VenueNewOrder["quantity"] } : {}),
      timeInForce: timeInForceFromFix(field(view, Tag.TimeInForce)),
      ...(expire ? { expireAtUs: expire.getTime() * 1000 } : {}),
      postOnly,
      reduceOnly,
      ...this.stamp(view),
    } as VenueNewOrder;
    if (order.quantity <= 0) throw new FixFieldError(Tag.OrderQty, `must be positive, got ${field(view, Tag.OrderQty)}`);
    return { order, clOrdId };
  }

  private amendTarget(view: MsgView, kind: "CANCEL" | "REPLACE") {
    const clOrdId = this.required(view, Tag.ClOrdID);
    const clientOrderId = this.orderOf(this.required(view, Tag.OrigClOrdID));
    const ids = this.ids.get(clientOrderId) ?? { current: field(view, Tag.OrigClOrdID) ?? clientOrderId, version: 1 };
    ids.pending = { clOrdId, kind };
    this.ids.set(clientOrderId, ids);
    this.byClOrdId.set(clOrdId, clientOrderId);
    const venueOrderId = field(view, Tag.OrderID);
    return {
      clientOrderId,
      ids,
      ...(venueOrderId ? { venueOrderId } : {}),
      instrument: this.required(view, Tag.Symbol),
      side: sideFromFix(field(view, Tag.Side)),
    };
  }

  private onCancel(view: MsgView): void {
    const { ids: _ids, ...target } = this.amendTarget(view, "CANCEL");
    const cancel: VenueCancelOrder = { ...target, cause: CancelCause.User, ...this.stamp(view) };
    this.toExchange({ type: "VenueCancelOrder", ...cancel });
  }

  private onReplace(view: MsgView): void {
    const quantity = unitsOf(this.required(view, Tag.OrderQty), Tag.OrderQty);
    if (quantity <= 0) throw new FixFieldError(Tag.OrderQty, `must be positive, got ${field(view, Tag.OrderQty)}`);
    const price = field(view, Tag.Price);
    const stop = field(view, Tag.StopPx);
    const { ids, ...target } = this.amendTarget(view, "REPLACE");
    const suffix = orderOfClOrdId(ids.pending!.clOrdId).version;
    const replace = {
      ...target,
      version: suffix ?? ids.version + 1,
      quantity,
      ...(price !== undefined ? { price: unitsOf(price, Tag.Price) } : {}),
      ...(stop !== undefined ? { stopPrice: unitsOf(stop, Tag.StopPx) } : {}),
      ...this.stamp(view),
    } as VenueReplaceOrder;
    this.toExchange({ type: "VenueReplaceOrder", ...replace });
  }

  private onExchange(m: BusMessage): void {
    const s = this.session;
    switch (m.type) {
      case "AdapterDisconnected":
        // the exchange restarted (a new trading session) or lost ours: the counterparty logs on again and reconciles
        s?.logout(`venue session ended: ${String(m.reason ?? "")}`.slice(0, 200));
        return;
      case "ExecutionReport":
        this.onReport(m as unknown as ExecutionReport);
        return;
      case "VenueStateSnapshot": {
        const id = this.massStatus.shift();
        if (s && id !== undefined)
          s.replyAfterResends(FixMsgType.ExecutionReport, this.massStatusReports(id, m.openOrders as VenueOpenOrder[]));
        return;
      }
      case "VenueOrderStatus": {
        const clientOrderId = String(m.clientOrderId);
        const asked = this.orderStatus.get(clientOrderId);
        const id = asked?.shift();
        if (asked?.length === 0) this.orderStatus.delete(clientOrderId);
        if (s && id !== undefined)
          s.replyAfterResends(FixMsgType.ExecutionReport, [
            this.statusReport(id, clientOrderId, Boolean(m.open), m.reports as ExecutionReport[]),
          ]);
        return;
      }
      default:
        return;
    }
  }

  private onReport(r: ExecutionReport): void {
    const ids = this.ids.get(r.clientOrderId);
    const pending = ids?.pending;
    if (r.execType === ExecType.CancelRejected) {
      if (ids) delete ids.pending;
      this.reply(FixMsgType.OrderCancelReject, {
        OrderID: r.venueOrderId ?? "NONE",
        ClOrdID: pending?.clOrdId ?? r.clientOrderId,
        OrigClOrdID: ids?.current ?? r.clientOrderId,
        OrdStatus: fixOrdStatus(ExecType.New, r.cumQty, r.leavesQty),
        CxlRejResponseTo: pending?.kind === "REPLACE" ? "2" : "1",
        CxlRejReason: r.text?.startsWith("UNKNOWN_ORDER") ? 1 : OTHER,
        ...(r.text ? { Text: r.text } : {}),
      });
      return;
    }
    let clOrdId = ids?.current ?? r.clientOrderId;
    let origClOrdId: string | undefined;
    const answersPending =
      (r.execType === ExecType.Replaced && pending?.kind === "REPLACE") || (r.execType === ExecType.Canceled && pending?.kind === "CANCEL");
    if (ids && pending && answersPending) {
      origClOrdId = ids.current;
      clOrdId = pending.clOrdId;
      delete ids.pending;
      if (r.execType === ExecType.Replaced) {
        ids.current = pending.clOrdId;
        ids.version = r.orderVersion ?? ids.version + 1;
      }
    }
    const closed =
      r.execType === ExecType.Canceled ||
      r.execType === ExecType.Expired ||
      r.execType === ExecType.Rejected ||
      r.execType === ExecType.Fill;
    // a list's leg restated by the venue, not by a request: FIX's Restated (D), a partial decline of OrderQty
    const restated = r.execType === ExecType.Replaced && !answersPending && this.listOf.has(r.clientOrderId);
    this.reply(FixMsgType.ExecutionReport, this.executionReport(r, clOrdId, origClOrdId, restated));
    this.followList(r, closed, fixOrdStatus(r.execType, r.cumQty, r.leavesQty));
    if (closed && ids) {
      this.ids.delete(r.clientOrderId);
      this.byClOrdId.delete(ids.current);
      if (pending) this.byClOrdId.delete(pending.clOrdId);
    }
  }

  private executionReport(r: ExecutionReport, clOrdId: string, origClOrdId?: string, restated = false): Record<string, unknown> {
    const fill = r.execType === ExecType.Fill || r.execType === ExecType.PartialFill;
    const listId = this.listOf.get(r.clientOrderId);
    return {
      OrderID: r.venueOrderId ?? "NONE",
      ClOrdID: clOrdId,
      ...(origClOrdId ? { OrigClOrdID: origClOrdId } : {}),
      ...(listId !== undefined ? { ListID: listId } : {}),
      ExecID: r.execId,
      ExecType: restated ? "D" : fixExecType(r.execType),
      ...(restated ? { ExecRestatementReason: PARTIAL_DECLINE } : {}),
      OrdStatus: fixOrdStatus(r.execType, r.cumQty, r.leavesQty),
      ...(r.execType === ExecType.Rejected ? { OrdRejReason: r.text?.startsWith("UNKNOWN") ? UNKNOWN_ORDER : OTHER } : {}),
      Instrument: { Symbol: r.instrument },
      Side: fixSide(r.side),
      ...(r.quantity !== undefined ? { OrderQtyData: { OrderQty: decimal(r.quantity) } } : {}),
      ...(r.price !== undefined ? { Price: decimal(r.price) } : {}),
      ...(r.stopPrice !== undefined ? { StopPx: decimal(r.stopPrice) } : {}),
      ...(fill ? { LastQty: decimal(r.lastQty), LastPx: decimal(r.lastPx) } : {}),
      LeavesQty: decimal(r.leavesQty),
      CumQty: decimal(r.cumQty),
      AvgPx: decimal(r.avgPx),
      TransactTime: new Date(Math.floor(r.tsEvent / 1000)),
      ...(r.fee !== 0 ? { CommissionData: { Commission: decimal(r.fee), CommType: "3" } } : {}),
      ...(r.liquidity ? { LastLiquidityInd: fixLiquidity(r.liquidity) } : {}),
      ...(r.text ? { Text: r.text } : {}),
    };
  }

  private massStatusReports(id: string, open: readonly VenueOpenOrder[]): Record<string, unknown>[] {
    if (open.length === 0)
      return [
        {
          OrderID: "NONE",
          ExecID: `${id}:none`,
          ExecType: "I",
          OrdStatus: "0",
          Instrument: { Symbol: "[N/A]" },
          Side: "1",
          LeavesQty: "0",
          CumQty: "0",
          AvgPx: "0",
          MassStatusReqID: id,
          TotNumReports: 0,
          LastRptRequested: true,
          Text: "no open orders",
        },
      ];
    return open.map((o, i) => ({
      OrderID: o.venueOrderId,
      ClOrdID: this.ids.get(o.clientOrderId)?.current ?? o.clientOrderId,
      ExecID: `${id}:${i + 1}`,
      ExecType: "I",
      OrdStatus: o.cumQty > 0 ? "1" : "0",
      Instrument: { Symbol: o.instrument },
      Side: fixSide(o.side),
      OrderQtyData: { OrderQty: decimal(o.quantity) },
      ...(o.price !== undefined ? { Price: decimal(o.price) } : {}),
      LeavesQty: decimal(o.leavesQty),
      CumQty: decimal(o.cumQty),
      AvgPx: "0",
      MassStatusReqID: id,
      TotNumReports: open.length,
      LastRptRequested: i === open.length - 1,
    }));
  }

  private statusReport(id: string, clientOrderId: string, open: boolean, reports: readonly ExecutionReport[]): Record<string, unknown> {
    const last = reports.at(-1);
    const clOrdId = this.ids.get(clientOrderId)?.current ?? clientOrderId;
    if (!last)
      return {
        OrderID: "NONE",
        ClOrdID: clOrdId,
        ExecID: `${id}:unknown`,
        ExecType: "I",
        OrdStatus: "8",
        OrdRejReason: UNKNOWN_ORDER,
        Instrument: { Symbol: "[N/A]" },
        Side: "1",
        LeavesQty: "0",
        CumQty: "0",
        AvgPx: "0",
        OrdStatusReqID: id,
        Text: `UNKNOWN_ORDER: ${clientOrderId} is not known at venue ${this.config.venue}`,
      };
    const ordStatus = open ? (last.cumQty > 0 ? "1" : "0") : fixOrdStatus(last.execType, last.cumQty, last.leavesQty);
    return {
      OrderID: last.venueOrderId ?? "NONE",
      ClOrdID: clOrdId,
      ExecID: `${id}:status`,
      ExecType: "I",
      OrdStatus: ordStatus === "0" && !open ? "4" : ordStatus,
      Instrument: { Symbol: last.instrument },
      Side: fixSide(last.side),
      LeavesQty: decimal(open ? last.leavesQty : 0),
      CumQty: decimal(last.cumQty),
      AvgPx: decimal(last.avgPx),
      OrdStatusReqID: id,
    };
  }

  /** Sequence numbers of the live session, for operators and tests. */
  get lastSentSeqNum(): number {
    return this.session?.lastSentSeqNum() ?? 0;
  }
}

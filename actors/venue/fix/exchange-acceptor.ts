import { type IJsFixConfig, type ISessionDescription, type MsgView, SessionState } from "./engine.ts";
import {
  CancelCause,
  ExecType,
  type ExecutionReport,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
} from "../../domain/index.ts";
import type { VenueOpenOrder } from "../connection/adapter.ts";
import { type BusMessage, type FixSessionConfig, fixExchangeSubjects, type VenueBus } from "./bus.ts";
import { FixEndpointLauncher, VenueFixSession } from "./fix-session.ts";
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
    const c = this.config;
    return {
      application: {
        type: "acceptor",
        resilient: false,
        reconnectSeconds: 1,
        name: `fix-${c.venue}-acceptor`,
        tcp: { host: c.host, port: c.port },
        protocol: "ascii",
        dictionary: "qf44",
      },
      Name: `fix-${c.venue}`,
      Username: "",
      Password: "",
      EncryptMethod: 0,
      ResetSeqNumFlag: c.resetSeqNumOnLogon,
      HeartBtInt: c.heartbeatSecs,
      SenderCompId: c.senderCompId,
      TargetCompID: c.targetCompId,
      SenderSubID: "",
      TargetSubID: "",
      BeginString: "FIX.4.4",
    } as ISessionDescription;
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
    this.ids.set(clientOrderId, { current: clOrdId, version: order.version });
    this.byClOrdId.set(clOrdId, clientOrderId);
    this.toExchange({ type: "VenueNewOrder", ...order });
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
    this.reply(FixMsgType.ExecutionReport, this.executionReport(r, clOrdId, origClOrdId));
    if (closed && ids) {
      this.ids.delete(r.clientOrderId);
      this.byClOrdId.delete(ids.current);
      if (pending) this.byClOrdId.delete(pending.clOrdId);
    }
  }

  private executionReport(r: ExecutionReport, clOrdId: string, origClOrdId?: string): Record<string, unknown> {
    const fill = r.execType === ExecType.Fill || r.execType === ExecType.PartialFill;
    return {
      OrderID: r.venueOrderId ?? "NONE",
      ClOrdID: clOrdId,
      ...(origClOrdId ? { OrigClOrdID: origClOrdId } : {}),
      ExecID: r.execId,
      ExecType: fixExecType(r.execType),
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

import type { IJsFixConfig, ISessionDescription, MsgView } from "./engine.ts";
import { MsgTag } from "./engine.ts";
import { subjects } from "../../contract/index.ts";
import {
  ExecType,
  type ExecutionReport,
  type OrderType,
  type Price,
  type Quantity,
  type Side,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
} from "../../domain/index.ts";
import type { VenueOpenOrder } from "../connection/adapter.ts";
import type { BusMessage, FixSessionConfig, VenueBus } from "./bus.ts";
import { FixEndpointLauncher, sessionDescription, VenueFixSession } from "./fix-session.ts";
import { type DurableFixSessionStore, DurableFixSessionStores, type FixSessionBucket } from "./session-store.ts";
import {
  BID_TYPE_NO_BIDDING,
  CLORDID_SEPARATOR,
  cancelClOrdId,
  decimal,
  execTypeFromFix,
  field,
  FixFieldError,
  FixMsgType,
  fixExecInst,
  fixListExecInst,
  fixOrdType,
  fixSide,
  fixTimeInForce,
  LIST_EXEC_INST_IMMEDIATE,
  liquidityFromFix,
  newOrderClOrdId,
  openOrdStatus,
  orderOfClOrdId,
  sideFromFix,
  Tag,
  unitsOf,
} from "./wire.ts";

/** What the initiator remembers of an order it sent: enough to word the next request and a cancel reject. */
interface SentOrder {
  instrument: string;
  side: Side;
  orderType: OrderType;
  quantity: Quantity;
  clOrdId: string;
  venueOrderId?: string;
  /** the list the venue holds it in (its ListID): the venue's reports of it must name that list */
  listId?: string;
}

/** Executions kept for reconciliation ("executions since n") and order status answers. */
const EXECUTION_MEMORY = 10_000;
/** The latest ListStatus of this many lists is kept (operators and tests read it); the oldest goes first. */
const LIST_STATUS_MEMORY = 10_000;

/** A list's latest ListStatus from the venue: ListStatusType (429) and ListOrderStatus (431). */
export interface VenueListStatus {
  statusType: number;
  orderStatus: number;
  text?: string;
}

class InitiatorSession extends VenueFixSession<InitiatorSession> {
  constructor(config: IJsFixConfig, owner: FixVenueInitiator) {
    super(config, owner);
  }
  /** sends an application message; false when the session cannot take it */
  order(msgType: string, body: Record<string, unknown>): void {
    this.send(msgType, body);
  }
}

/**
 * A venue's FIX 4.4 session, initiator side: it stands where the simulated exchange stands for a NATS venue,
 * taking the venue connection's adapter commands on am.cmd.venue-adapter.<venue> and answering on
 * am.cmd.venue.<venue> (AdapterLoggedOn, AdapterConnectFailed, AdapterDisconnected, VenueStateSnapshot,
 * VenueOrderStatus, ExecutionReport), so the connection machine, order actors and risk book are unchanged.
 * Reconnects are the machine's (its backoff and circuit); each AdapterConnect is one connection attempt.
 * Sequence numbers live in the node's durable bucket; a resend asked of us is gap-filled (orders are never sent
 * twice: the machine's reconciliation settles those in flight). Executions are forwarded once per ExecID.
 */
export class FixVenueInitiator {
  private session: InitiatorSession | undefined;
  private launcher: FixEndpointLauncher | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly stores: DurableFixSessionStores;
  private readonly orders = new Map<string, SentOrder>();
  private readonly executions: ExecutionReport[] = [];
  private readonly applied = new Set<string>();
  private massStatus: { id: string; sinceSeq: number; open: VenueOpenOrder[] } | undefined;
  private readonly statusAsked = new Map<string, string>();
  private readonly listStatuses = new Map<string, VenueListStatus>();
  private requests = 0;
  private readonly toConnection: string;
  /** execution reports heard again by a resend (PossDupFlag), and those of them already applied */
  readonly resends = { heard: 0, alreadyApplied: 0 };

  constructor(
    readonly config: FixSessionConfig,
    private readonly bus: VenueBus,
    bucket: FixSessionBucket,
    private readonly nowUs: () => number = () => Date.now() * 1000,
  ) {
    this.stores = new DurableFixSessionStores(bucket, `fix-initiator-${config.venue}`, false);
    this.toConnection = subjects.cmd("venue", config.venue);
  }

  start(): void {
    this.unsubscribe ??= this.bus.subscribe(subjects.cmd("venue-adapter", this.config.venue), (m) => this.onCommand(m));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.session?.logout("initiator stopping");
    this.launcher?.stop();
    await Promise.all(this.stores.opened.map((s) => s.flush().catch(() => {})));
  }

  /** The live session (tests drop its connection to simulate a lost line). */
  get current(): VenueFixSession | undefined {
    return this.session;
  }

  /** The store of the session (its sequence numbers), once a session was opened. */
  get store(): DurableFixSessionStore | undefined {
    return this.stores.opened.at(-1);
  }

  private tell(message: BusMessage): void {
    this.bus.publish(this.toConnection, message);
  }

  private onCommand(m: BusMessage): void {
    const venue = this.config.venue;
    switch (m.type) {
      case "AdapterConnect":
        this.connect();
        return;
      case "AdapterDisconnect":
        this.session?.logout(String(m.reason ?? "disconnect"));
        return;
      default:
        break;
    }
    const s = this.session;
    if (!s) {
      this.tell({ type: "AdapterDisconnected", venue, reason: `no FIX session to ${this.config.host}:${this.config.port}: log on first` });
      return;
    }
    switch (m.type) {
      case "AdapterRequestState":
        this.requestState(s, Number(m.sinceSeq ?? 0));
        return;
      case "AdapterOrderStatusRequest":
        this.requestOrderStatus(s, String(m.clientOrderId));
        return;
      case "VenueNewOrder":
        this.newOrder(s, m as unknown as VenueNewOrder);
        return;
      case "VenueCancelOrder":
        this.cancel(s, m as unknown as VenueCancelOrder);
        return;
      case "VenueReplaceOrder":
        this.replace(s, m as unknown as VenueReplaceOrder);
        return;
      default:
        return;
    }
  }

  private description(): ISessionDescription {
    return sessionDescription(
      this.config,
      { type: "initiator", connectTimeoutSeconds: 1 },
      // orders are never resent: a resend asked of us is gap-filled, and reconciliation settles orders in flight
      { store: { type: "memory", resendGapFillOnly: true } },
    );
  }

  private connect(): void {
    if (this.session) {
      this.tell({ type: "AdapterLoggedOn", venue: this.config.venue });
      return;
    }
    const launcher = new FixEndpointLauncher({
      description: this.description(),
      stores: this.stores,
      makeSession: (config) => new InitiatorSession(config, this),
    });
    this.launcher = launcher;
    launcher.run().catch((e: unknown) => {
      if (this.launcher !== launcher || this.session) return;
      this.launcher = undefined;
      const reason = `FIX connect to ${this.config.host}:${this.config.port} failed: ${e instanceof Error ? e.message : String(e)}`;
      this.tell({ type: "AdapterConnectFailed", venue: this.config.venue, reason: reason.slice(0, 256) });
    });
  }

  onLoggedOn(s: InitiatorSession): void {
    this.session = s;
    this.tell({ type: "AdapterLoggedOn", venue: this.config.venue });
  }

  onSessionEnded(s: InitiatorSession, reason: string): void {
    if (this.session !== s) {
      if (!this.session && this.launcher) {
        this.launcher = undefined;
        this.tell({ type: "AdapterConnectFailed", venue: this.config.venue, reason: reason.slice(0, 256) });
      }
      return;
    }
    this.session = undefined;
    this.launcher = undefined;
    this.massStatus = undefined;
    this.statusAsked.clear();
    this.tell({ type: "AdapterDisconnected", venue: this.config.venue, reason: reason.slice(0, 256) });
  }

  private remember(clientOrderId: string, o: SentOrder): void {
    if (clientOrderId.includes(CLORDID_SEPARATOR))
      throw new Error(`clientOrderId ${clientOrderId}: "${CLORDID_SEPARATOR}" is reserved on a FIX venue`);
    this.orders.set(clientOrderId, o);
  }

  private newOrder(s: InitiatorSession, o: VenueNewOrder): void {
    const clOrdId = newOrderClOrdId(o.clientOrderId, o.version);
    this.remember(o.clientOrderId, {
      instrument: o.instrument,
      side: o.side,
      orderType: o.orderType,
      quantity: o.quantity,
      clOrdId,
      ...(o.list ? { listId: o.list.listId } : {}),
    });
    const execInst = fixExecInst(o.postOnly, o.reduceOnly);
    const terms = {
      ClOrdID: clOrdId,
      HandlInst: "1",
      ...(execInst ? { ExecInst: execInst } : {}),
      Instrument: { Symbol: o.instrument },
      Side: fixSide(o.side),
      TransactTime: new Date(o.tsInit / 1000),
      OrderQtyData: { OrderQty: decimal(o.quantity) },
      OrdType: fixOrdType(o.orderType),
      ...(o.price !== undefined ? { Price: decimal(o.price) } : {}),
      ...(o.stopPrice !== undefined ? { StopPx: decimal(o.stopPrice) } : {}),
      TimeInForce: fixTimeInForce(o.timeInForce),
      ...(o.expireAtUs !== undefined ? { ExpireTime: new Date(o.expireAtUs / 1000) } : {}),
    };
    if (!o.list) {
      s.order(FixMsgType.NewOrderSingle, terms);
      return;
    }
    // a leg of a list the venue holds: one fragment of its NewOrderList (TotNoOrders says how many legs the venue
    // waits for), sent as the leg comes, as the in-process venue takes its tagged legs; the venue assembles the list
    const { ClOrdID, ...legTerms } = terms;
    s.order(FixMsgType.NewOrderList, {
      ListID: o.list.listId,
      BidType: BID_TYPE_NO_BIDDING,
      ListExecInstType: LIST_EXEC_INST_IMMEDIATE,
      ListExecInst: fixListExecInst(o.list),
      TotNoOrders: o.list.legCount,
      ListOrdGrp: { NoOrders: [{ ClOrdID, ListSeqNo: o.list.leg + 1, ...legTerms }] },
    });
  }

  /** The latest ListStatus the venue sent about a list, while remembered. */
  listStatus(listId: string): VenueListStatus | undefined {
    return this.listStatuses.get(listId);
  }

  private cancel(s: InitiatorSession, c: VenueCancelOrder): void {
    const known = this.orders.get(c.clientOrderId);
    const clOrdId = cancelClOrdId(c.clientOrderId, ++this.requests);
    const venueOrderId = c.venueOrderId ?? known?.venueOrderId;
    this.remember(c.clientOrderId, {
      instrument: c.instrument,
      side: c.side,
      orderType: known?.orderType ?? "LIMIT",
      quantity: known?.quantity ?? (0 as Quantity),
      clOrdId: known?.clOrdId ?? c.clientOrderId,
      ...(venueOrderId ? { venueOrderId } : {}),
    });
    s.order(FixMsgType.OrderCancelRequest, {
      OrigClOrdID: known?.clOrdId ?? c.clientOrderId,
      ...(venueOrderId ? { OrderID: venueOrderId } : {}),
      ClOrdID: clOrdId,
      Instrument: { Symbol: c.instrument },
      Side: fixSide(c.side),
      TransactTime: new Date(c.tsInit / 1000),
      OrderQtyData: { OrderQty: decimal(known?.quantity ?? 0) },
    });
  }

  private replace(s: InitiatorSession, r: VenueReplaceOrder): void {
    const known = this.orders.get(r.clientOrderId);
    const orderType: OrderType =
      known?.orderType ?? (r.stopPrice !== undefined ? (r.price !== undefined ? "STOP_LIMIT" : "STOP") : "LIMIT");
    const clOrdId = newOrderClOrdId(r.clientOrderId, r.version);
    const venueOrderId = r.venueOrderId ?? known?.venueOrderId;
    s.order(FixMsgType.OrderCancelReplaceRequest, {
      ...(venueOrderId ? { OrderID: venueOrderId } : {}),
      OrigClOrdID: known?.clOrdId ?? r.clientOrderId,
      ClOrdID: clOrdId,
      HandlInst: "1",
      Instrument: { Symbol: r.instrument },
      Side: fixSide(r.side),
      TransactTime: new Date(r.tsInit / 1000),
      OrderQtyData: { OrderQty: decimal(r.quantity) },
      OrdType: fixOrdType(orderType),
      ...(r.price !== undefined ? { Price: decimal(r.price) } : {}),
      ...(r.stopPrice !== undefined ? { StopPx: decimal(r.stopPrice) } : {}),
    });
    this.remember(r.clientOrderId, {
      instrument: r.instrument,
      side: r.side,
      orderType,
      quantity: r.quantity,
      clOrdId: known?.clOrdId ?? r.clientOrderId,
      ...(venueOrderId ? { venueOrderId } : {}),
    });
  }

  /** Reconciliation after a logon: every open order by OrderMassStatusRequest (all orders), executions from memory. */
  private requestState(s: InitiatorSession, sinceSeq: number): void {
    const id = `ms-${this.nowUs()}-${++this.requests}`;
    this.massStatus = { id, sinceSeq, open: [] };
    s.order(FixMsgType.OrderMassStatusRequest, { MassStatusReqID: id, MassStatusReqType: 7 });
  }

  private requestOrderStatus(s: InitiatorSession, clientOrderId: string): void {
    const id = `os-${this.nowUs()}-${++this.requests}`;
    this.statusAsked.set(id, clientOrderId);
    const known = this.orders.get(clientOrderId);
    s.order(FixMsgType.OrderStatusRequest, {
      ClOrdID: known?.clOrdId ?? clientOrderId,
      OrdStatusReqID: id,
      // the acceptor finds the order by ClOrdID; instrument and side are FIX's required fields
      Instrument: { Symbol: known?.instrument ?? "[N/A]" },
      Side: fixSide(known?.side ?? "BUY"),
    });
  }

  onFixMessage(msgType: string, view: MsgView): void {
    if (msgType === FixMsgType.ExecutionReport) this.onExecutionReport(view);
    else if (msgType === FixMsgType.OrderCancelReject) this.onCancelReject(view);
    else if (msgType === FixMsgType.ListStatus) this.onListStatus(view);
  }

  /** The venue's word on a whole list; each leg's own course comes in its execution reports. */
  private onListStatus(view: MsgView): void {
    const listId = field(view, Tag.ListID);
    if (listId === undefined) throw new FixFieldError(Tag.ListID, "required");
    const statusType = view.getTyped(Tag.ListStatusType) as number | undefined;
    const orderStatus = view.getTyped(Tag.ListOrderStatus) as number | undefined;
    if (statusType === undefined) throw new FixFieldError(Tag.ListStatusType, "required");
    if (orderStatus === undefined) throw new FixFieldError(Tag.ListOrderStatus, "required");
    const text = field(view, Tag.ListStatusText);
    this.listStatuses.delete(listId);
    this.listStatuses.set(listId, { statusType, orderStatus, ...(text ? { text } : {}) });
    if (this.listStatuses.size > LIST_STATUS_MEMORY) this.listStatuses.delete(this.listStatuses.keys().next().value!);
  }

  private onExecutionReport(view: MsgView): void {
    if (field(view, Tag.ExecType) === "I") {
      this.onStatusReport(view);
      return;
    }
    const execId = field(view, Tag.ExecID);
    if (execId === undefined) throw new FixFieldError(Tag.ExecID, "required");
    // a resend (PossDupFlag) repeats what may have arrived: each execution applies once
    const resent = view.getTyped(Tag.PossDupFlag) === true;
    if (resent) this.resends.heard++;
    if (this.applied.has(execId)) {
      if (resent) this.resends.alreadyApplied++;
      return;
    }
    const r = this.reportOf(view, execId);
    const listed = this.orders.get(r.clientOrderId)?.listId;
    const listId = field(view, Tag.ListID);
    if (listed !== undefined && listId !== undefined && listId !== listed)
      throw new FixFieldError(Tag.ListID, `${listId}: order ${r.clientOrderId} was sent in list ${listed}`);
    this.applied.add(execId);
    this.executions.push(r);
    if (this.executions.length > EXECUTION_MEMORY) this.applied.delete(this.executions.shift()!.execId);
    const known = this.orders.get(r.clientOrderId);
    if (known && r.venueOrderId) known.venueOrderId = r.venueOrderId;
    if (known && r.execType === ExecType.Replaced) known.clOrdId = field(view, Tag.ClOrdID) ?? known.clOrdId;
    this.tell({ type: "ExecutionReport", ...r });
  }

  private reportOf(view: MsgView, execId: string): ExecutionReport {
    const clOrdId = field(view, Tag.ClOrdID);
    if (clOrdId === undefined) throw new FixFieldError(Tag.ClOrdID, "required");
    const { clientOrderId, version } = orderOfClOrdId(clOrdId);
    const leavesQty = unitsOf(field(view, Tag.LeavesQty), Tag.LeavesQty) as Quantity;
    const execType = execTypeFromFix(field(view, Tag.ExecType), leavesQty);
    const optional = (tag: number) => {
      const text = field(view, tag);
      return text === undefined ? undefined : unitsOf(text, tag);
    };
    const liquidity = liquidityFromFix(field(view, Tag.LastLiquidityInd));
    const venueOrderId = field(view, Tag.OrderID);
    const text = field(view, Tag.Text);
    const transact = view.getTyped(Tag.TransactTime) as Date | undefined;
    const replaced = execType === ExecType.Replaced;
    const quantity = optional(Tag.OrderQty);
    const price = optional(Tag.Price);
    const stopPrice = optional(Tag.StopPx);
    const instrument = field(view, Tag.Symbol);
    if (instrument === undefined) throw new FixFieldError(Tag.Symbol, "required");
    const now = this.nowUs();
    return {
      clientOrderId,
      ...(venueOrderId && venueOrderId !== "NONE" ? { venueOrderId } : {}),
      execId,
      execType,
      instrument,
      side: sideFromFix(field(view, Tag.Side)),
      ...(replaced && version !== undefined ? { orderVersion: version } : {}),
      lastQty: (optional(Tag.LastQty) ?? 0) as Quantity,
      lastPx: (optional(Tag.LastPx) ?? 0) as Price,
      cumQty: unitsOf(field(view, Tag.CumQty), Tag.CumQty) as Quantity,
      leavesQty,
      avgPx: unitsOf(field(view, Tag.AvgPx), Tag.AvgPx) as Price,
      fee: optional(Tag.Commission) ?? 0,
      ...(liquidity ? { liquidity } : {}),
      ...(replaced && quantity !== undefined ? { quantity: quantity as Quantity } : {}),
      ...(replaced && price !== undefined ? { price: price as Price } : {}),
      ...(replaced && stopPrice !== undefined ? { stopPrice: stopPrice as Price } : {}),
      venueSeq: view.getTyped(MsgTag.MsgSeqNum) as number,
      ...(text ? { text: text.slice(0, 256) } : {}),
      tsEvent: transact ? transact.getTime() * 1000 : now,
      tsInit: now,
    };
  }

  private onCancelReject(view: MsgView): void {
    const clOrdId = field(view, Tag.ClOrdID);
    if (clOrdId === undefined) throw new FixFieldError(Tag.ClOrdID, "required");
    const execId = `cxl-reject:${clOrdId}`;
    if (this.applied.has(execId)) return;
    const { clientOrderId } = orderOfClOrdId(clOrdId);
    const known = this.orders.get(clientOrderId);
    // the reject names no instrument or side: an order this initiator never sent is not ours to answer
    if (!known) return;
    this.applied.add(execId);
    const now = this.nowUs();
    const venueOrderId = field(view, Tag.OrderID);
    const text = field(view, Tag.Text);
    const r: ExecutionReport = {
      clientOrderId,
      ...(venueOrderId && venueOrderId !== "NONE" ? { venueOrderId } : {}),
      execId,
      execType: ExecType.CancelRejected,
      instrument: known.instrument,
      side: known.side,
      lastQty: 0 as Quantity,
      lastPx: 0 as Price,
      cumQty: 0 as Quantity,
      leavesQty: known.quantity,
      avgPx: 0 as Price,
      fee: 0,
      venueSeq: view.getTyped(MsgTag.MsgSeqNum) as number,
      text: (text ?? "cancel rejected").slice(0, 256),
      tsEvent: now,
      tsInit: now,
    };
    this.executions.push(r);
    this.tell({ type: "ExecutionReport", ...r });
  }

  private onStatusReport(view: MsgView): void {
    const massId = field(view, Tag.MassStatusReqID);
    if (massId !== undefined) {
      const pending = this.massStatus;
      if (!pending || pending.id !== massId) return;
      if ((view.getTyped(Tag.TotNumReports) as number | undefined) !== 0) pending.open.push(this.openOrderOf(view));
      if (view.getTyped(Tag.LastRptRequested) === true) {
        this.massStatus = undefined;
        this.tell({
          type: "VenueStateSnapshot",
          venue: this.config.venue,
          openOrders: pending.open,
          executions: this.executions.filter((r) => r.venueSeq > pending.sinceSeq),
        });
      }
      return;
    }
    const reqId = field(view, Tag.OrdStatusReqID);
    const clientOrderId = reqId === undefined ? undefined : this.statusAsked.get(reqId);
    if (reqId === undefined || clientOrderId === undefined) return;
    this.statusAsked.delete(reqId);
    const ordStatus = field(view, Tag.OrdStatus) ?? "";
    const unknown = ordStatus === "8" && field(view, Tag.OrdRejReason) === "5";
    const open = openOrdStatus.has(ordStatus);
    const reports = unknown ? [] : this.executions.filter((r) => r.clientOrderId === clientOrderId);
    // an open order whose acknowledgement went before this initiator's memory (a restart) is acknowledged by the status
    if (open && !reports.some((r) => r.execType === ExecType.New)) {
      const o = this.openOrderOf(view);
      const now = this.nowUs();
      reports.unshift({
        clientOrderId,
        venueOrderId: o.venueOrderId,
        execId: `status:${this.config.venue}:${clientOrderId}:new`,
        execType: ExecType.New,
        instrument: o.instrument,
        side: o.side,
        lastQty: 0 as Quantity,
        lastPx: 0 as Price,
        cumQty: o.cumQty,
        leavesQty: o.leavesQty,
        avgPx: unitsOf(field(view, Tag.AvgPx), Tag.AvgPx) as Price,
        fee: 0,
        venueSeq: view.getTyped(MsgTag.MsgSeqNum) as number,
        tsEvent: now,
        tsInit: now,
      });
    }
    this.tell({ type: "VenueOrderStatus", venue: this.config.venue, clientOrderId, open, reports });
  }

  private openOrderOf(view: MsgView): VenueOpenOrder {
    const clOrdId = field(view, Tag.ClOrdID);
    if (clOrdId === undefined) throw new FixFieldError(Tag.ClOrdID, "required");
    const instrument = field(view, Tag.Symbol);
    if (instrument === undefined) throw new FixFieldError(Tag.Symbol, "required");
    const cumQty = unitsOf(field(view, Tag.CumQty), Tag.CumQty) as Quantity;
    const leavesQty = unitsOf(field(view, Tag.LeavesQty), Tag.LeavesQty) as Quantity;
    const quantityText = field(view, Tag.OrderQty);
    const price = field(view, Tag.Price);
    return {
      clientOrderId: orderOfClOrdId(clOrdId).clientOrderId,
      venueOrderId: field(view, Tag.OrderID) ?? "NONE",
      instrument,
      side: sideFromFix(field(view, Tag.Side)),
      quantity: (quantityText === undefined ? cumQty + leavesQty : unitsOf(quantityText, Tag.OrderQty)) as Quantity,
      cumQty,
      leavesQty,
      ...(price !== undefined ? { price: unitsOf(price, Tag.Price) as Price } : {}),
    };
  }
}

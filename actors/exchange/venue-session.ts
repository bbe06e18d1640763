import {
  ExecType,
  type ExecutionReport,
  Liquidity,
  type Quote,
  type RecordedBookEvent,
  Side,
  type Trade,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
  asPrice,
  type Price,
  type Quantity,
  ZERO_PRICE,
  ZERO_QUANTITY,
  reportWithoutFill,
} from "../domain/index.ts";
import { type Emitted, subjects } from "../contract/index.ts";
import type { VenueOpenOrder } from "../venue/index.ts";
import {
  type FixedJitterLatency,
  fixedJitterLatency,
  MatchEventKind,
  type MatchEvent,
  type MatchingEngineConfig,
  type OrderRequest,
} from "./matching/index.ts";
import { type BackgroundQuote, SimulatedExchange, type VenueReport } from "./simulated-venue.ts";
import { defaultFillModel, type FillModel, slippedPrice } from "./fill-model.ts";
import { executionFee, feeRateCbps } from "./matching/fees.ts";
import { L2QueueOrders } from "./l2-orders.ts";
import { type ListAction, type ListLegOrder, VenueOrderLists } from "./order-lists.ts";
import { executionsToKeep, type SessionOrderSnapshot, type VenueSessionSnapshot } from "./session-snapshot.ts";
import { applyRecord, emptyBook, type RestoredBook, restoredBook, type VenueBookChanged } from "./book-record.ts";

export interface ExchangeInstrument {
  id: string;
  tickSize: Price;
  lotSize: Quantity;
}

export interface SimulatedVenueConfig {
  venue: string;
  instruments: ExchangeInstrument[];
  /** background liquidity placed around each market quote */
  background: { levels: number; stepTicks: number; quantity: Quantity };
  /**
   * First venue sequence number of this session (e.g. its start time in µs): a restarted venue numbers above the
   * old one, so a connection's "executions since n" stays meaningful across venue restarts.
   */
  seqBase: number;
  /** executions kept for reconciliation ("executions since n") */
  executionMemory?: number;
  /** maker and taker fees in basis points (two decimals at most; negative is a rebate); default 0 */
  makerFeeBps?: number;
  takerFeeBps?: number;
  /** one-way delay of our commands: fixed plus uniform jitter in µs, seeded; default none */
  latency?: FixedJitterLatency;
  /** queue position and slippage (fill-model.ts); default fill on touch, no slippage */
  fills?: FillModel;
  /** where the answers go instead of the venue connection (a FIX acceptor fronting this venue) */
  replyTo?: string;
}

/** Our session's view of one of its orders at the venue. */
interface SessionOrder {
  clientOrderId: string;
  instrument: string;
  orderId: number;
  /** Σ price × qty of the fills, for the average price */
  notional: bigint;
  /** the version a pending replace creates */
  version: number;
  /** the limit price (0: none), the cap of a taker fill's slippage */
  limit: Price;
  /** a list leg acknowledged while held off-book: its book's acceptance is not reported again */
  acked?: boolean;
  /** a list leg its list canceled while it was still on its way to its book: canceled as it arrives */
  cancelOnArrival?: boolean;
}

/** The session owner at the matching engine (self-trade prevention and open-order queries). */
export const SESSION_OWNER = "alphamind";

/** A new order as its book takes it. */
const orderRequest = (cmd: VenueNewOrder): OrderRequest => ({
  side: cmd.side,
  type: cmd.orderType,
  quantity: cmd.quantity,
  ...(cmd.price !== undefined ? { price: cmd.price } : {}),
  ...(cmd.stopPrice !== undefined ? { stopPrice: cmd.stopPrice } : {}),
  timeInForce: cmd.timeInForce,
  ...(cmd.expireAtUs !== undefined ? { expireAtUs: cmd.expireAtUs } : {}),
  postOnly: cmd.postOnly,
  reduceOnly: cmd.reduceOnly,
  owner: SESSION_OWNER,
  clientOrderId: cmd.clientOrderId,
});

/** reports after which the order has nothing more to say */
const ENDED: ReadonlySet<ExecType> = new Set([ExecType.Fill, ExecType.Canceled, ExecType.Rejected, ExecType.Expired]);
/** at most this many orders' traces are kept (the oldest go first) */
const MAX_TRACED = 100_000;

/** The venue's id of a list leg it holds off-book (it has none in a book yet). */
const offBookId = (o: ListLegOrder): string => `list:${o.list.listId}:${o.list.leg}`;

/**
 * The simulated exchange behind the venue-adapter protocol: AdapterConnect / AdapterRequestState and new, cancel
 * and replace orders in; AdapterLoggedOn, VenueStateSnapshot and ExecutionReports out (to the venue connection's
 * am.cmd.venue.<venue>). Market quotes set the background liquidity, so our orders trade against the simulated
 * market. Time comes only from the delivered nowUs (the engine's clock is set from it).
 */
export class SimulatedVenueSession {
  readonly exchange: SimulatedExchange;
  private readonly clock = { us: 0, nowUs: (): number => this.clock.us };
  private readonly toConnection: string;
  private readonly orders = new Map<string, SessionOrder>();
  private readonly byOrderId = new Map<number, string>();
  private readonly executions: ExecutionReport[] = [];
  /** orders the execution memory has reports of (clientOrderId → how many): a new order may not reuse their ids */
  private readonly reportedIds = new Map<string, number>();
  private readonly memory: number;
  private venueSeq: number;
  private readonly fills: FillModel;
  private readonly takerFeeCbps: number;
  /** order lists held natively (order-lists.ts) */
  private readonly lists = new VenueOrderLists((group, instruments) => {
    for (const i of instruments) this.exchange.engine(i).endOcoGroup(group);
  });
  /** what the lists do after the events being read: run before the command returns, so nothing trades between */
  private readonly listFollowUps: ListAction[] = [];
  /** the `l2` fill model's orders, queued in the recorded book (l2-orders.ts); none under the other models */
  private readonly l2: L2QueueOrders | undefined;
  /** set by evolve from what the session publishes (AdapterLoggedOn, AdapterDisconnected) */
  loggedOn = false;
  /** the prefix of this session's execution ids: above every earlier session's, whatever the wall clock says */
  private epoch: number;
  /** a restored state not yet put in the books: records are applied to it as plain data, then it is installed once */
  private restored: RestoredBook | undefined;
  /** what the input being decided changed, for its journal record */
  private readonly touched = new Map<string, string>();
  private readonly closedIds: string[] = [];
  private readonly reported: ExecutionReport[] = [];
  /** lists were held at the last record: a record that ends the last one still says so */
  private listsHeld = false;
  /**
   * The trace of the last command about each order, which its later reports carry (a fill a quote caused is still
   * part of the order's trace). The runtime's view, not the venue's: never snapshotted, gone when the order ends.
   */
  private readonly traces = new Map<string, string>();

  constructor(readonly config: SimulatedVenueConfig) {
    const instruments: MatchingEngineConfig[] = config.instruments.map((i) => ({
      instrument: i.id,
      tickSize: i.tickSize,
      lotSize: i.lotSize,
      // the session reads each engine event once (drained) and keeps its own execution memory for reconciliation
      journalCapacity: 1 << 10,
      makerFeeBps: config.makerFeeBps ?? 0,
      takerFeeBps: config.takerFeeBps ?? 0,
    }));
    const latency = config.latency;
    this.exchange = new SimulatedExchange({
      clock: this.clock,
      instruments,
      ...(latency && (latency.fixedUs > 0 || latency.jitterUs > 0) ? { latency: fixedJitterLatency(latency) } : {}),
    });
    this.toConnection = config.replyTo ?? subjects.cmd("venue", config.venue);
    this.venueSeq = config.seqBase;
    this.epoch = config.seqBase;
    this.memory = config.executionMemory ?? 10_000;
    this.fills = config.fills ?? defaultFillModel;
    this.takerFeeCbps = feeRateCbps(config.takerFeeBps ?? 0, "takerFeeBps");
    if (this.fills.queue === "l2")
      this.l2 = new L2QueueOrders({
        execIdPrefix: config.seqBase.toString(36),
        makerFeeCbps: feeRateCbps(config.makerFeeBps ?? 0, "makerFeeBps"),
        takerFeeCbps: this.takerFeeCbps,
        slippage: this.fills.slippage,
      });
  }

  get openOrderCount(): number {
    this.install();
    return this.orders.size + (this.l2?.size ?? 0);
  }

  /** Our open orders as the books hold them, for a restart (commands still in flight are not in it). */
  snapshot(): VenueSessionSnapshot {
    this.install();
    const orders: VenueSessionSnapshot["orders"] = [];
    const nextOrderIds: Record<string, number> = {};
    for (const instrument of this.exchange.instruments) {
      const engine = this.exchange.engine(instrument);
      nextOrderIds[instrument] = engine.nextId;
      for (const open of engine.openOrders(SESSION_OWNER)) {
        const o = open.clientOrderId === undefined ? undefined : this.orders.get(open.clientOrderId);
        if (o?.orderId === open.orderId) orders.push({ instrument, open, notional: o.notional.toString(), version: o.version });
      }
    }
    return {
      venue: this.config.venue,
      session: this.epoch,
      venueSeq: this.venueSeq,
      nextOrderIds,
      orders,
      executions: executionsToKeep(this.executions),
      lists: this.lists.snapshot(),
    };
  }

  /**
   * Takes an earlier session's orders into this fresh one (installed in the books at the first live input). Its
   * execution ids are prefixed above every earlier session's, so none repeats an earlier one; the venue sequence
   * continues above both. An order of an instrument no longer listed is dropped (its client's reconciliation closes it).
   */
  restore(s: VenueSessionSnapshot): void {
    if (s.venue !== this.config.venue) throw new Error(`snapshot of venue ${s.venue} restored into venue ${this.config.venue}`);
    this.restored = restoredBook(s);
  }

  /**
   * Applies a journaled record after the snapshot (a restart replaying what the venue reported since). Plain data
   * until the first live input installs it: replay never touches the books, so no report is made twice.
   */
  replay(r: VenueBookChanged): void {
    if (r.venue !== this.config.venue) throw new Error(`record of venue ${r.venue} replayed into venue ${this.config.venue}`);
    this.restored ??= emptyBook();
    applyRecord(this.restored, r, this.memory);
  }

  /** Puts the restored state in the books, each order as it was (id, fills, queue order among them). */
  private install(): void {
    const s = this.restored;
    if (!s) return;
    this.restored = undefined;
    const listed = new Set(this.exchange.instruments);
    for (const [instrument, next] of Object.entries(s.nextOrderIds))
      if (listed.has(instrument)) this.exchange.engine(instrument).continueIds(next);
    for (const o of [...s.orders.values()].sort((a, b) => a.open.orderId - b.open.orderId)) {
      if (!listed.has(o.instrument) || o.open.clientOrderId === undefined) continue;
      this.exchange.engine(o.instrument).restore(o.open);
      this.orders.set(o.open.clientOrderId, {
        clientOrderId: o.open.clientOrderId,
        instrument: o.instrument,
        orderId: o.open.orderId,
        notional: BigInt(o.notional),
        version: o.version,
        limit: o.open.price,
      });
      this.byOrderId.set(o.open.orderId, o.open.clientOrderId);
    }
    this.remember(s.executions);
    this.lists.restore(s.lists);
    this.listsHeld = s.lists.length > 0;
    this.venueSeq = Math.max(this.venueSeq, s.venueSeq);
    if (s.session >= this.epoch) this.epoch = s.session + 1;
  }

  /**
   * What the inputs since the last call changed, as one journal record, or undefined when they changed nothing
   * that must survive (a quote that filled none of ours, a logon, a state request).
   */
  takeChange(nowUs: number): VenueBookChanged | undefined {
    if (this.touched.size === 0 && this.reported.length === 0) return undefined;
    const listsNow = this.lists.snapshot();
    const listsChanged = listsNow.length > 0 || this.listsHeld;
    const open: SessionOrderSnapshot[] = [];
    const nextOrderIds: Record<string, number> = {};
    for (const [clientOrderId, instrument] of this.touched) {
      const engine = this.exchange.engine(instrument);
      nextOrderIds[instrument] = engine.nextId;
      const o = this.orders.get(clientOrderId);
      const book = o && o.orderId !== 0 ? engine.order(o.orderId) : undefined;
      if (o && book) open.push({ instrument, open: book, notional: o.notional.toString(), version: o.version });
    }
    const record: VenueBookChanged = {
      type: "VenueBookChanged",
      venue: this.config.venue,
      session: this.epoch,
      venueSeq: this.venueSeq,
      nextOrderIds,
      open,
      closed: this.closedIds.filter((id) => !this.orders.has(id)),
      executions: this.reported.splice(0),
      ...(listsChanged ? { lists: listsNow } : {}),
      tsEvent: nowUs,
      tsInit: nowUs,
    };
    this.listsHeld = listsNow.length > 0;
    this.touched.clear();
    this.closedIds.length = 0;
    return record;
  }

  private at(nowUs: number): void {
    this.install();
    if (nowUs > this.clock.us) this.clock.us = nowUs;
  }

  private send(message: { type: string; [field: string]: unknown }, out: Emitted[], traceparent?: string): void {
    out.push({ type: "publish", subject: this.toConnection, message, ...(traceparent ? { traceparent } : {}) });
  }

  /** A command about an order arrived in a trace: the order's reports from now on carry it. */
  traced(clientOrderId: string, traceparent: string): void {
    this.traces.delete(clientOrderId);
    this.traces.set(clientOrderId, traceparent);
    // orders that end without a report here (a restart, a list leg never placed) must not pile up
    if (this.traces.size > MAX_TRACED) this.traces.delete(this.traces.keys().next().value!);
  }

  connect(nowUs: number, out: Emitted[]): void {
    this.at(nowUs);
    this.send({ type: "AdapterLoggedOn", venue: this.config.venue }, out);
  }

  disconnect(nowUs: number, reason: string, out: Emitted[]): void {
    this.at(nowUs);
    this.send({ type: "AdapterDisconnected", venue: this.config.venue, reason }, out);
  }

  requestState(nowUs: number, sinceSeq: number, out: Emitted[]): void {
    this.at(nowUs);
    const openOrders: VenueOpenOrder[] = [];
    for (const instrument of this.exchange.instruments) {
      for (const o of this.exchange.engine(instrument).openOrders(SESSION_OWNER)) {
        if (o.clientOrderId === undefined) continue;
        openOrders.push({
          clientOrderId: o.clientOrderId,
          venueOrderId: String(o.orderId),
          instrument,
          side: o.side,
          quantity: o.quantity,
          cumQty: o.cum,
          leavesQty: o.leaves,
          ...(o.price > 0 ? { price: o.price } : {}),
        });
      }
    }
    for (const o of this.lists.offBook())
      openOrders.push({
        clientOrderId: o.clientOrderId,
        venueOrderId: offBookId(o),
        instrument: o.instrument,
        side: o.side,
        quantity: o.quantity,
        cumQty: ZERO_QUANTITY,
        leavesQty: o.quantity,
        ...(o.price !== undefined ? { price: o.price } : {}),
      });
    if (this.l2) openOrders.push(...this.l2.open());
    const executions = this.executions.filter((r) => r.venueSeq > sinceSeq);
    this.send({ type: "VenueStateSnapshot", venue: this.config.venue, openOrders, executions }, out);
  }

  /** FIX's OrderStatusRequest: whether the order is open here, and its executions still in the execution memory. */
  orderStatus(nowUs: number, clientOrderId: string, out: Emitted[]): void {
    this.at(nowUs);
    if (!this.inSession(nowUs, out)) return;
    const reports = this.executions.filter((r) => r.clientOrderId === clientOrderId);
    const open = this.orders.has(clientOrderId) || this.lists.holdsOffBook(clientOrderId) || this.l2?.has(clientOrderId) === true;
    this.send({ type: "VenueOrderStatus", venue: this.config.venue, clientOrderId, open, reports }, out);
  }

  /** A command without a session (e.g. the venue restarted under a connected client) drops the client's session. */
  private inSession(nowUs: number, out: Emitted[]): boolean {
    if (this.loggedOn) return true;
    this.disconnect(nowUs, "no session: log on first", out);
    return false;
  }

  newOrder(cmd: VenueNewOrder, nowUs: number, out: Emitted[]): void {
    this.at(nowUs);
    if (!this.inSession(nowUs, out)) return;
    // an id this venue reported on, open or closed, in this session or one it restored: a client that sent it again
    // (restored from a stale state) must not get a second execution of one order
    const duplicate =
      this.orders.has(cmd.clientOrderId) ||
      this.reportedIds.has(cmd.clientOrderId) ||
      this.lists.knows(cmd.clientOrderId) ||
      this.l2?.has(cmd.clientOrderId) === true;
    if (!this.exchange.instruments.includes(cmd.instrument) || duplicate) {
      const why = duplicate ? "DUPLICATE_CLIENT_ORDER_ID" : "UNKNOWN_INSTRUMENT";
      this.report(this.bare(cmd, ExecType.Rejected, nowUs, { text: `${why}: ${cmd.instrument} ${cmd.clientOrderId}` }), out);
      return;
    }
    const grid = this.l2 && this.exchange.engine(cmd.instrument);
    if (this.l2 && grid && L2QueueOrders.takes(cmd, grid)) {
      for (const r of this.l2.place(cmd, grid, this.clock.us)) this.report(r, out);
      return;
    }
    if (cmd.list !== undefined) {
      // the list's first legs wait for the venue's latency as any order; what they release later is placed at once
      this.runList(this.lists.arrive(cmd as ListLegOrder), false, out);
      this.drain(nowUs, out);
      return;
    }
    this.orders.set(cmd.clientOrderId, {
      clientOrderId: cmd.clientOrderId,
      instrument: cmd.instrument,
      orderId: 0,
      notional: 0n,
      version: cmd.version,
      limit: cmd.price ?? ZERO_PRICE,
    });
    this.exchange.submit(cmd.instrument, orderRequest(cmd));
    this.drain(nowUs, out);
  }

  cancel(cmd: VenueCancelOrder, nowUs: number, out: Emitted[]): void {
    this.at(nowUs);
    if (!this.inSession(nowUs, out)) return;
    if (this.l2?.has(cmd.clientOrderId)) {
      for (const r of this.l2.cancel(cmd, this.clock.us)) this.report(r, out);
      return;
    }
    const offBook = this.lists.cancelOffBook(cmd.clientOrderId);
    if (offBook) {
      this.runList(offBook, true, out);
      this.drain(nowUs, out);
      return;
    }
    const o = this.orders.get(cmd.clientOrderId);
    if (!o || o.orderId === 0) {
      this.report(this.bare(cmd, ExecType.CancelRejected, nowUs, { text: `UNKNOWN_ORDER: ${cmd.clientOrderId} is not open` }), out);
      return;
    }
    this.exchange.cancel(o.instrument, o.orderId, SESSION_OWNER);
    this.drain(nowUs, out);
  }

  replace(cmd: VenueReplaceOrder, nowUs: number, out: Emitted[]): void {
    this.at(nowUs);
    if (!this.inSession(nowUs, out)) return;
    if (this.l2?.has(cmd.clientOrderId)) {
      for (const r of this.l2.replace(cmd, this.clock.us)) this.report(r, out);
      return;
    }
    if (this.lists.holdsOffBook(cmd.clientOrderId)) {
      const text = `HELD_BY_LIST: ${cmd.clientOrderId} waits off-book for its list's contingency; cancel it instead`;
      this.report(this.bare(cmd, ExecType.CancelRejected, nowUs, { text }), out);
      return;
    }
    const o = this.orders.get(cmd.clientOrderId);
    if (!o || o.orderId === 0) {
      this.report(this.bare(cmd, ExecType.CancelRejected, nowUs, { text: `UNKNOWN_ORDER: ${cmd.clientOrderId} is not open` }), out);
      return;
    }
    o.version = cmd.version;
    if (cmd.price !== undefined) o.limit = cmd.price;
    this.exchange.replace(
      o.instrument,
      o.orderId,
      {
        quantity: cmd.quantity,
        ...(cmd.price !== undefined ? { price: cmd.price } : {}),
        ...(cmd.stopPrice !== undefined ? { stopPrice: cmd.stopPrice } : {}),
      },
      SESSION_OWNER,
    );
    this.drain(nowUs, out);
  }

  /** Applies the commands whose latency has elapsed by `nowUs` (the machine wakes the session when one is due). */
  arrive(nowUs: number, out: Emitted[]): void {
    this.at(nowUs);
    this.drain(nowUs, out);
  }

  /** Moves the background market to a quote; a ladder moving through our resting orders fills them. */
  quote(q: Quote, nowUs: number, out: Emitted[]): void {
    this.at(nowUs);
    if (q.crossed || !(q.bid < q.ask) || !this.exchange.instruments.includes(q.instrument)) return;
    const e = this.exchange.engine(q.instrument);
    if (q.bid % e.tickSize !== 0 || q.ask % e.tickSize !== 0) return;
    const b = this.config.background;
    const background: BackgroundQuote = { bid: q.bid, ask: q.ask, quantity: b.quantity, levels: b.levels, stepTicks: b.stepTicks };
    if (this.fills.queue === "visible") background.best = { bid: q.bidSize, ask: q.askSize };
    this.exchange.setBackground(q.instrument, background, this.clock.us);
    this.drain(nowUs, out);
  }

  /** A recorded L2 level or print (the `l2` queue model): our queued orders move, and those it reaches fill. */
  recordedBook(e: RecordedBookEvent, nowUs: number, out: Emitted[]): void {
    this.at(nowUs);
    if (!this.l2 || !this.exchange.instruments.includes(e.instrument)) return;
    for (const r of this.l2.apply(e, this.clock.us)) this.report(r, out);
  }

  /**
   * A trade the market printed (the `visible` queue model): it consumes the queue at its price, ours after the
   * volume ahead. Without an aggressor, a print at or below the best bid was a sell, at or above the best ask a buy;
   * one inside the spread met no resting order.
   */
  trade(x: Trade, nowUs: number, out: Emitted[]): void {
    this.at(nowUs);
    if (this.fills.queue !== "visible" || !this.exchange.instruments.includes(x.instrument)) return;
    let aggressor: Side | undefined = x.aggressor === "BUY" ? Side.Buy : x.aggressor === "SELL" ? Side.Sell : undefined;
    if (aggressor === undefined) {
      const top = this.exchange.quote(x.instrument);
      if (top.bidPrice > 0 && x.price <= top.bidPrice) aggressor = Side.Sell;
      else if (top.askPrice > 0 && x.price >= top.askPrice) aggressor = Side.Buy;
      else return;
    }
    this.exchange.tape(x.instrument, aggressor, x.price, x.size, this.clock.us);
    this.drain(nowUs, out);
  }

  private drain(nowUs: number, out: Emitted[]): void {
    let reports: VenueReport[] = this.exchange.process(nowUs);
    while (reports.length > 0) {
      for (const r of reports) {
        const cid = r.event.clientOrderId;
        if (cid === undefined || r.event.owner === this.exchange.backgroundOwner) continue;
        const o = this.orders.get(cid);
        if (o) this.onEvent(o, r.instrument, r.event, nowUs, out);
      }
      if (this.listFollowUps.length === 0) return;
      // a list's leg traded or ended: what it releases or cancels is done now, before anything else can trade
      this.runList(this.listFollowUps.splice(0), true, out);
      reports = this.exchange.process(nowUs);
    }
  }

  /** Carries out what the lists decided; `now`: in the book at once (the venue's own action), not after latency. */
  private runList(actions: readonly ListAction[], now: boolean, out: Emitted[]): void {
    const nowUs = this.clock.us;
    for (const a of actions) {
      switch (a.kind) {
        case "place": {
          const cmd = a.order;
          if (a.quantity < cmd.quantity) {
            // a bracket's exit sized to its entry's fill: the venue restates the order before it works
            this.report(
              this.bare(cmd, ExecType.Replaced, nowUs, {
                venueOrderId: offBookId(cmd),
                orderVersion: cmd.version,
                quantity: a.quantity,
                leavesQty: a.quantity,
                text: "RESTATED: sized to the entry's fill",
              }),
              out,
            );
          }
          this.orders.set(cmd.clientOrderId, {
            clientOrderId: cmd.clientOrderId,
            instrument: cmd.instrument,
            orderId: 0,
            notional: 0n,
            version: cmd.version,
            limit: cmd.price ?? ZERO_PRICE,
            ...(a.acked ? { acked: true } : {}),
          });
          const request = {
            ...orderRequest(cmd),
            quantity: a.quantity,
            ...(a.ocoGroup !== undefined ? { ocoGroup: a.ocoGroup } : {}),
          };
          if (now) this.exchange.engine(cmd.instrument).submit(request, nowUs);
          else this.exchange.submit(cmd.instrument, request);
          break;
        }
        case "ack":
          this.report(this.bare(a.order, ExecType.New, nowUs, { venueOrderId: offBookId(a.order), leavesQty: a.order.quantity }), out);
          break;
        case "cancel": {
          const o = this.orders.get(a.clientOrderId);
          if (o && o.orderId !== 0) this.exchange.engine(o.instrument).cancel(o.orderId, nowUs, SESSION_OWNER);
          else if (o) o.cancelOnArrival = true;
          break;
        }
        case "drop":
          this.report(this.bare(a.order, ExecType.Canceled, nowUs, { venueOrderId: offBookId(a.order), text: a.reason }), out);
          break;
        case "reject":
          this.report(this.bare(a.order, ExecType.Rejected, nowUs, { text: a.reason }), out);
          break;
      }
    }
  }

  private onEvent(o: SessionOrder, instrument: string, e: MatchEvent, nowUs: number, out: Emitted[]): void {
    if (o.orderId === 0) {
      o.orderId = e.orderId;
      this.byOrderId.set(e.orderId, o.clientOrderId);
    }
    const base = {
      clientOrderId: o.clientOrderId,
      venueOrderId: String(e.orderId),
      execId: `${this.epoch.toString(36)}:${instrument}:${e.seq}`,
      instrument,
      side: e.side,
      lastQty: ZERO_QUANTITY,
      lastPx: ZERO_PRICE,
      cumQty: e.cum,
      leavesQty: e.leaves,
      avgPx: asPrice(o.notional > 0n && e.cum > 0 ? Number(o.notional / BigInt(e.cum)) : 0),
      fee: 0,
      venueSeq: 0,
      tsEvent: e.tsUs,
      tsInit: nowUs,
    };
    let report: ExecutionReport | undefined;
    let closed = false;
    switch (e.kind) {
      case MatchEventKind.Accepted:
        if (!o.acked) report = { ...base, execType: ExecType.New };
        if (o.cancelOnArrival) this.listFollowUps.push({ kind: "cancel", clientOrderId: o.clientOrderId });
        break;
      case MatchEventKind.Rejected:
        // a list leg already acknowledged off-book and refused by its book when released is canceled, not rejected
        report = {
          ...base,
          execType: o.acked ? ExecType.Canceled : ExecType.Rejected,
          leavesQty: ZERO_QUANTITY,
          text: e.reason ?? "rejected",
        };
        closed = true;
        break;
      case MatchEventKind.PartiallyFilled:
      case MatchEventKind.Filled: {
        // a taker pays the slippage model's price beyond the book's (capped at its limit), and the fee on it
        const slipped = e.liquidity === Liquidity.Taker ? slippedPrice(this.fills.slippage, e.side, e.price, e.quantity, o.limit) : e.price;
        const fee = slipped === e.price ? (e.fee ?? 0n) : executionFee(slipped, e.quantity, this.takerFeeCbps);
        o.notional += BigInt(slipped) * BigInt(e.quantity);
        const avgPx = asPrice(Number((o.notional + BigInt(Math.floor(e.cum / 2))) / BigInt(e.cum)));
        report = {
          ...base,
          execType: e.leaves === 0 ? ExecType.Fill : ExecType.PartialFill,
          lastQty: e.quantity,
          lastPx: slipped,
          avgPx,
          fee: Number(fee),
          ...(e.liquidity !== undefined ? { liquidity: e.liquidity } : {}),
        };
        closed = e.leaves === 0;
        break;
      }
      case MatchEventKind.Canceled:
        report = { ...base, execType: ExecType.Canceled, leavesQty: ZERO_QUANTITY, ...(e.reason ? { text: e.reason } : {}) };
        closed = true;
        break;
      case MatchEventKind.Expired:
        report = { ...base, execType: ExecType.Expired, leavesQty: ZERO_QUANTITY };
        closed = true;
        break;
      case MatchEventKind.Replaced:
        report = {
          ...base,
          execType: ExecType.Replaced,
          orderVersion: o.version,
          quantity: e.quantity,
          ...(e.price > 0 ? { price: e.price } : {}),
        };
        break;
      case MatchEventKind.CancelRejected:
        report = { ...base, execType: ExecType.CancelRejected, text: e.reason ?? "cancel rejected" };
        break;
      default:
        break;
    }
    this.touched.set(o.clientOrderId, instrument);
    if (closed) {
      this.orders.delete(o.clientOrderId);
      this.byOrderId.delete(o.orderId);
      this.closedIds.push(o.clientOrderId);
    }
    if (report) this.report(report, out);
    if (report && this.lists.knows(o.clientOrderId)) {
      const fill = report.execType === ExecType.Fill || report.execType === ExecType.PartialFill;
      if (fill) this.listFollowUps.push(...this.lists.traded(o.clientOrderId, report.cumQty, report.leavesQty));
      else if (closed) this.listFollowUps.push(...this.lists.ended(o.clientOrderId, report.cumQty));
    }
  }

  /** A report about a command the engine never saw (unknown order or instrument). */
  private bare(
    cmd: { clientOrderId: string; instrument: string; side: ExecutionReport["side"]; venueOrderId?: string },
    execType: ExecType,
    nowUs: number,
    over: Partial<ExecutionReport>,
  ): ExecutionReport {
    return reportWithoutFill(cmd, execType, `${this.epoch.toString(36)}:refused:${this.venueSeq + 1}`, 0, nowUs, over);
  }

  /** Adds reports to the execution memory, which keeps the latest `memory` of them. */
  private remember(reports: readonly ExecutionReport[]): void {
    for (const r of reports) {
      this.executions.push(r);
      this.reportedIds.set(r.clientOrderId, (this.reportedIds.get(r.clientOrderId) ?? 0) + 1);
    }
    if (this.executions.length <= this.memory) return;
    for (const r of this.executions.splice(0, this.executions.length - this.memory)) {
      const n = this.reportedIds.get(r.clientOrderId)! - 1;
      if (n > 0) this.reportedIds.set(r.clientOrderId, n);
      else this.reportedIds.delete(r.clientOrderId);
    }
  }

  private report(r: ExecutionReport, out: Emitted[]): void {
    r.venueSeq = ++this.venueSeq;
    this.remember([r]);
    this.reported.push(r);
    const traceparent = this.traces.get(r.clientOrderId);
    if (traceparent !== undefined && ENDED.has(r.execType)) this.traces.delete(r.clientOrderId);
    this.send({ type: "ExecutionReport", ...r }, out, traceparent);
  }
}

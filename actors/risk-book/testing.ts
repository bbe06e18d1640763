/** Test fixtures for the risk book (not exported from index.ts). */
import { createActor } from "xstate";
import {
  type FillFields,
  fromNumber,
  priceOf,
  quantityOf,
  type InstrumentSpec,
  parseMoney,
  type RiskLimitsInput,
  SCALE,
  asMoney,
  type Money,
} from "../domain/index.ts";
import type { BookReply } from "./decide.ts";
import { riskBookMachine } from "./machine.ts";
import type { OrderToCheck } from "./pre-trade.ts";
import { type BookConfig, defaultBookConfig, type RiskBook, type RiskBookEvent } from "./state.ts";
import type { VarConfig } from "./var.ts";

export const AAPL = "AAPL.XNAS";
export const MSFT = "MSFT.XNAS";
export const ES = "ES.XCME";
export const px = priceOf;
export const qty = quantityOf;
export const money = (s: string): Money => parseMoney(s);

export const specs: InstrumentSpec[] = [
  { instrument: AAPL, multiplier: SCALE, sector: "TECH", assetClass: "EQUITY" },
  { instrument: MSFT, multiplier: SCALE, sector: "TECH", assetClass: "EQUITY" },
  { instrument: ES, multiplier: fromNumber(50), sector: "INDEX", assetClass: "FUTURE" },
];

export const testConfig = (over: Partial<BookConfig> = {}): BookConfig =>
  defaultBookConfig("test-book", { instruments: specs, initialCash: money("1000000"), markSource: "LAST", ...over });

let fillSeq = 0;
export const fill = (over: Partial<FillFields> & Pick<FillFields, "side" | "quantity" | "price">): FillFields => ({
  fillId: `f${++fillSeq}`,
  instrument: AAPL,
  fee: asMoney(0n),
  tsEvent: 0,
  tsInit: 0,
  ...over,
});

let orderSeq = 0;
export const order = (over: Partial<OrderToCheck> & Pick<OrderToCheck, "side" | "quantity">): OrderToCheck => ({
  clientOrderId: `o${++orderSeq}`,
  instrument: AAPL,
  orderType: "LIMIT",
  strategy: "s1",
  ...over,
});

/** Drives the real machine and records what it journals and replies. */
export class BookHarness {
  readonly actor;
  readonly journal: RiskBookEvent[] = [];
  readonly replies: BookReply[] = [];
  /** what left the book: publishes, and forwards (with their outbox key, and whether the reply waits for them) */
  readonly published: { subject: string; message: { type: string; [field: string]: unknown }; key?: string; detached?: true }[] = [];
  nowUs = 1_000_000;

  constructor(
    readonly config: BookConfig = testConfig(),
    varConfig?: VarConfig,
  ) {
    this.actor = createActor(riskBookMachine, { input: { config, ...(varConfig ? { var: varConfig } : {}) } });
    this.actor.on("*", (e) => {
      if (e.type === "domain") this.journal.push(e.event as RiskBookEvent);
      else if (e.type === "reply") this.replies.push(e);
      else if (e.type === "publish") this.published.push({ subject: e.subject, message: e.message });
      else if (e.type === "forward")
        this.published.push({ subject: e.subject, message: e.message, key: e.key, ...(e.detached ? { detached: e.detached } : {}) });
    });
    this.actor.start();
  }

  get book(): RiskBook {
    return this.actor.getSnapshot().context.book;
  }

  /** Sends an input stamped with the harness clock; returns the reply it produced, if any. */
  send(input: { type: string; [k: string]: unknown }): BookReply | undefined {
    const before = this.replies.length;
    const stamped = { tsEvent: this.nowUs, tsInit: this.nowUs, ...input, nowUs: this.nowUs };
    this.actor.send(stamped as Parameters<typeof this.actor.send>[0]);
    return this.replies.length > before ? this.replies[this.replies.length - 1] : undefined;
  }

  fill(f: Partial<FillFields> & Pick<FillFields, "side" | "quantity" | "price">): BookReply | undefined {
    return this.send({ type: "OrderFilled", ...fill(f) });
  }
  mark(instrument: string, last: number): void {
    this.send({ type: "MarkPrice", instrument, last });
  }
  check(o: Partial<OrderToCheck> & Pick<OrderToCheck, "side" | "quantity">): BookReply | undefined {
    return this.send({ type: "CheckOrder", reduceOnly: false, ...order(o) });
  }
  limits(limits: RiskLimitsInput): BookReply | undefined {
    return this.send({ type: "SetRiskLimits", limits, by: "tester" });
  }
}

export const approved = (r: BookReply | undefined): boolean => r?.ok === true;
export const denialCode = (r: BookReply | undefined): string | undefined => (r && !r.ok ? r.error.code : undefined);

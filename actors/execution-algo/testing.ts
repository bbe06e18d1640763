/** Test fixtures for the execution algorithm (not exported from index.ts): a driven machine with a simulated clock. */
import { type AnyMachineSnapshot, initialTransition, transition } from "xstate";
import type { DomainEvent, Emitted } from "../contract/index.ts";
import { priceOf, quantityOf, type StartAlgo } from "../domain/index.ts";
import type { AlgoInput } from "./inputs.ts";
import { algoMachine } from "./machine.ts";
import type { VenueTerms } from "./routing.ts";
import type { AlgoContext } from "./state.ts";

export const T0 = 1_700_000_000_000_000;
export const LOT = quantityOf(1);
export const INSTRUMENT = "AAPL.XNAS";

export const startAlgo = (over: Partial<StartAlgo> = {}): StartAlgo & { type: "StartAlgo" } => ({
  type: "StartAlgo",
  instrument: INSTRUMENT,
  side: "BUY",
  quantity: quantityOf(10),
  lotSize: LOT,
  limitPrice: priceOf(101),
  params: { algo: "TWAP", endAtUs: T0 + 10_000_000, slices: 5, minChildLots: 1 },
  book: "b1",
  strategy: "s1",
  tsEvent: T0,
  tsInit: T0,
  ...over,
});

type Timer = { id: string; event: { type: string }; dueUs: number };

/**
 * Drives the machine as the runtime does: each input stamped with the clock, delayed events armed and canceled by
 * id and delivered when the clock passes them, emissions recorded, journaled events kept for a replay.
 */
export class AlgoDriver {
  snapshot: AnyMachineSnapshot;
  nowUs = T0;
  readonly emitted: Emitted[] = [];
  readonly journal: DomainEvent[] = [];
  private readonly timers = new Map<string, Timer>();

  constructor(
    readonly parentId = "p1",
    venues: Record<string, VenueTerms> = {},
  ) {
    const [s, actions] = initialTransition(algoMachine, { parentId, venues });
    this.snapshot = s;
    this.act(actions as never);
  }

  get context(): AlgoContext {
    return this.snapshot.context as AlgoContext;
  }

  get armed(): number {
    return this.timers.size;
  }

  send(event: Record<string, unknown> & { type: string }): Emitted[] {
    const [s, actions] = transition(algoMachine, this.snapshot as never, { ...event, nowUs: this.nowUs } as AlgoInput);
    this.snapshot = s;
    return this.act(actions as never);
  }

  /** Moves the clock to `toUs`, firing the delayed events due by then in order. */
  advance(toUs: number): Emitted[] {
    const out: Emitted[] = [];
    for (;;) {
      const next = [...this.timers.values()].sort((a, b) => a.dueUs - b.dueUs)[0];
      if (!next || next.dueUs > toUs) break;
      this.timers.delete(next.id);
      this.nowUs = Math.max(this.nowUs, next.dueUs);
      out.push(...this.send(next.event));
    }
    this.nowUs = toUs;
    return out;
  }

  private act(actions: { type: string; params?: Record<string, unknown> }[]): Emitted[] {
    const out: Emitted[] = [];
    for (const a of actions) {
      const p = a.params;
      if (a.type === "xstate.emit") out.push(p?.event as Emitted);
      else if (a.type === "xstate.raise" && p && typeof p.delay === "number") {
        const id = String(p.id ?? (p.event as { type: string }).type);
        this.timers.set(id, { id, event: p.event as { type: string }, dueUs: this.nowUs + p.delay * 1000 });
      } else if (a.type === "xstate.cancel" && p) this.timers.delete(String(p.sendId ?? p.id));
    }
    for (const e of out) if (e.type === "domain") this.journal.push(e.event);
    this.emitted.push(...out);
    return out;
  }
}

type Forwarded = Extract<Emitted, { type: "forward" }>;
/** the children sent: SubmitOrders forwarded to the risk book */
export const forwards = (out: Emitted[]) => out.filter((e): e is Forwarded => e.type === "forward" && e.message.type === "SubmitOrder");
/** the cancels of children, forwarded to the risk book */
export const cancels = (out: Emitted[]) => out.filter((e): e is Forwarded => e.type === "forward" && e.message.type === "CancelOrder");
export const domain = (out: Emitted[]) =>
  out.filter((e): e is Extract<Emitted, { type: "domain" }> => e.type === "domain").map((e) => e.event);

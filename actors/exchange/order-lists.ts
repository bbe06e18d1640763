import { type Contingency, LegRole, type NativeListLeg, type Quantity, type VenueNewOrder } from "../domain/index.ts";

/** A leg as the venue received it, tagged with its list. */
export type ListLegOrder = VenueNewOrder & { list: NativeListLeg };

/**
 * What the session does for the lists: put a leg in its book (`ocoGroup`: with the members it cancels; `quantity`
 * below the leg's: restated to a bracket entry's fill; `acked`: acknowledged while held off-book), acknowledge a leg held off-book, cancel a
 * working leg in its book now, close a leg held off-book (Canceled), or refuse an arriving leg.
 */
export type ListAction =
  | { kind: "place"; order: ListLegOrder; quantity: Quantity; ocoGroup?: string; acked: boolean }
  | { kind: "ack"; order: ListLegOrder }
  | { kind: "cancel"; clientOrderId: string }
  | { kind: "drop"; order: ListLegOrder; reason: string }
  | { kind: "reject"; order: ListLegOrder; reason: string };

/** waiting: its list has not all arrived; held: off-book until its contingency releases it; working: in its book */
type LegState = "waiting" | "held" | "working" | "closed";

export interface VenueListLeg {
  order: ListLegOrder;
  state: LegState;
  cumQty: number;
}

/** One list at the venue (plain data: kept as it is in the session's snapshot). */
export interface VenueList {
  listId: string;
  contingency: Contingency;
  triggerOnPartial: boolean;
  legCount: number;
  legs: (VenueListLeg | null)[];
  /** a leg ended before the list was whole: it will never be worked */
  broken: boolean;
}

const ocoGroupOf = (list: VenueList): string => `list:${list.listId}`;
const inOcoSet = (role: LegRole): boolean => role === LegRole.Member || role === LegRole.TakeProfit || role === LegRole.StopLoss;
const placedAtOnce = (role: LegRole): boolean => role === LegRole.Member || role === LegRole.Primary || role === LegRole.Entry;

/**
 * The order lists the venue holds natively: it assembles a list from its tagged legs, puts the legs that work at
 * once in their books (an OCO's members as one one-cancels-other group, so the book cancels the others at the
 * first trade, in the same command) and holds the others off-book until their contingency releases them. The rules
 * are the platform's emulated ones (actors/order-list): an OTO releases its secondaries at the primary's full fill
 * (or its first with triggerOnPartial); a bracket's exits are placed when its entry ends having filled, sized to
 * the fill, as a one-cancels-other pair; an OCO member that ends unfilled before any member traded cancels the rest.
 */
export class VenueOrderLists {
  private readonly lists = new Map<string, VenueList>();
  private readonly legOf = new Map<string, { listId: string; leg: number }>();

  /** `ended`: a list's one-cancels-other group is done with, on the books of these instruments */
  constructor(private readonly endGroup: (ocoGroup: string, instruments: string[]) => void) {}

  /** Whether the client order id is a leg of a list here that is not closed. */
  knows(clientOrderId: string): boolean {
    const l = this.find(clientOrderId);
    return l !== undefined && l.state !== "closed";
  }

  /** Whether the venue holds the leg off-book (waiting for its list, or for its contingency). */
  holdsOffBook(clientOrderId: string): boolean {
    const l = this.find(clientOrderId);
    return l?.state === "waiting" || l?.state === "held";
  }

  /** Legs held off-book: open at the venue though in no book. */
  offBook(): ListLegOrder[] {
    const out: ListLegOrder[] = [];
    for (const list of this.lists.values())
      for (const l of list.legs) if (l && (l.state === "waiting" || l.state === "held")) out.push(l.order);
    return out;
  }

  /** A tagged leg arrived; once the list is whole, its first legs go to their books and the rest are held. */
  arrive(order: ListLegOrder): ListAction[] {
    const tag = order.list;
    let list = this.lists.get(tag.listId);
    if (!list) {
      list = {
        listId: tag.listId,
        contingency: tag.contingency,
        triggerOnPartial: tag.triggerOnPartial,
        legCount: tag.legCount,
        legs: Array.from({ length: tag.legCount }, () => null),
        broken: false,
      };
      this.lists.set(tag.listId, list);
    }
    const mismatch = list.broken
      ? `list ${tag.listId} ended before it was whole`
      : list.contingency !== tag.contingency || list.legCount !== tag.legCount
        ? `list ${tag.listId} is a ${list.contingency} of ${list.legCount} legs, not a ${tag.contingency} of ${tag.legCount}`
        : tag.leg >= list.legCount || list.legs[tag.leg] !== null
          ? `leg ${tag.leg} of list ${tag.listId} is taken or out of range`
          : undefined;
    if (mismatch) return [{ kind: "reject", order, reason: `LIST_MISMATCH: ${mismatch}` }];
    list.legs[tag.leg] = { order, state: "waiting", cumQty: 0 };
    this.legOf.set(order.clientOrderId, { listId: tag.listId, leg: tag.leg });
    if (list.legs.some((l) => l === null)) return [];
    return this.assemble(list);
  }

  private assemble(list: VenueList): ListAction[] {
    const legs = list.legs as VenueListLeg[];
    const set = legs.filter((l) => inOcoSet(l.order.list.role));
    const instruments = new Set(set.map((l) => l.order.instrument));
    if (instruments.size > 1) {
      // one book cancels the others within a trade; across books it could not, so the venue refuses the list
      const reason = `LIST_SPANS_INSTRUMENTS: the one-cancels-other legs of list ${list.listId} trade ${[...instruments].join(", ")}`;
      for (const l of legs) l.state = "closed";
      this.forget(list);
      return legs.map((l) => ({ kind: "reject", order: l.order, reason }));
    }
    const out: ListAction[] = [];
    for (const l of legs) {
      if (placedAtOnce(l.order.list.role)) out.push(this.place(list, l, l.order.quantity));
      else {
        l.state = "held";
        out.push({ kind: "ack", order: l.order });
      }
    }
    return out;
  }

  private place(list: VenueList, l: VenueListLeg, quantity: Quantity): ListAction {
    // a leg held off-book was acknowledged then: its book's acceptance is no news
    const acked = l.state === "held";
    l.state = "working";
    return {
      kind: "place",
      order: l.order,
      quantity,
      acked,
      ...(inOcoSet(l.order.list.role) ? { ocoGroup: ocoGroupOf(list) } : {}),
    };
  }

  /** A working leg traded: an OTO primary may release its secondaries. */
  traded(clientOrderId: string, cumQty: number, leavesQty: number): ListAction[] {
    const found = this.locate(clientOrderId);
    if (!found) return [];
    const [list, l] = found;
    l.cumQty = Math.max(l.cumQty, cumQty);
    if (leavesQty === 0) return this.ended(clientOrderId, cumQty);
    if (l.order.list.role === LegRole.Primary && list.triggerOnPartial) return this.release(list, LegRole.Secondary, undefined);
    return [];
  }

  /** A working leg ended (filled, canceled, expired, rejected): what its end releases or cancels. */
  ended(clientOrderId: string, cumQty: number): ListAction[] {
    const found = this.locate(clientOrderId);
    if (!found) return [];
    const [list, l] = found;
    l.cumQty = Math.max(l.cumQty, cumQty);
    l.state = "closed";
    const out = this.afterEnd(list, l);
    this.forgetIfDone(list);
    return out;
  }

  /** The client cancels a leg held off-book: closed here, with what its end implies; undefined if none is held. */
  cancelOffBook(clientOrderId: string): ListAction[] | undefined {
    const found = this.locate(clientOrderId);
    if (!found || (found[1].state !== "waiting" && found[1].state !== "held")) return undefined;
    const [list, l] = found;
    const wasWaiting = l.state === "waiting";
    l.state = "closed";
    const out: ListAction[] = [{ kind: "drop", order: l.order, reason: "canceled by the client" }];
    if (wasWaiting) {
      // the list can never be whole: its other waiting legs end with it, and late ones are refused
      list.broken = true;
      for (const o of list.legs)
        if (o?.state === "waiting") {
          o.state = "closed";
          out.push({ kind: "drop", order: o.order, reason: `list ${list.listId} ended before it was whole` });
        }
    } else out.push(...this.afterEnd(list, l));
    this.forgetIfDone(list);
    return out;
  }

  private afterEnd(list: VenueList, l: VenueListLeg): ListAction[] {
    const role = l.order.list.role;
    const legs = list.legs as VenueListLeg[];
    if (inOcoSet(role)) {
      const set = legs.filter((o) => inOcoSet(o.order.list.role));
      // a member that ended unfilled before any traded breaks the set; once one traded, the book canceled the rest
      if (l.cumQty > 0 || set.some((o) => o.cumQty > 0)) return [];
      return set.flatMap((o) => (o.state === "working" ? [{ kind: "cancel", clientOrderId: o.order.clientOrderId } as const] : []));
    }
    if (role === LegRole.Primary) {
      const full = l.cumQty >= l.order.quantity;
      return full ? this.release(list, LegRole.Secondary, undefined) : this.dropHeld(list, `primary ended without releasing it`);
    }
    if (role === LegRole.Entry) {
      return l.cumQty > 0 ? this.release(list, undefined, l.cumQty as Quantity) : this.dropHeld(list, "entry ended unfilled");
    }
    return [];
  }

  /** Places the held legs (secondaries, or a bracket's exits sized to `exitQuantity`). */
  private release(list: VenueList, role: LegRole | undefined, exitQuantity: Quantity | undefined): ListAction[] {
    const out: ListAction[] = [];
    for (const l of list.legs as VenueListLeg[]) {
      if (l.state !== "held") continue;
      if (role !== undefined && l.order.list.role !== role) continue;
      out.push(this.place(list, l, exitQuantity ?? l.order.quantity));
    }
    return out;
  }

  private dropHeld(list: VenueList, reason: string): ListAction[] {
    const out: ListAction[] = [];
    for (const l of list.legs as VenueListLeg[]) {
      if (l.state !== "held") continue;
      l.state = "closed";
      out.push({ kind: "drop", order: l.order, reason });
    }
    return out;
  }

  private find(clientOrderId: string): VenueListLeg | undefined {
    return this.locate(clientOrderId)?.[1];
  }

  private locate(clientOrderId: string): [VenueList, VenueListLeg] | undefined {
    const at = this.legOf.get(clientOrderId);
    const list = at && this.lists.get(at.listId);
    const l = list?.legs[at!.leg];
    return list && l ? [list, l] : undefined;
  }

  /** A whole list whose legs all ended is forgotten; a broken one is kept, so that its late legs are refused. */
  private forgetIfDone(list: VenueList): void {
    if (list.legs.every((l) => l !== null && l.state === "closed")) this.forget(list);
  }

  private forget(list: VenueList): void {
    const set = list.legs.flatMap((l) => (l && inOcoSet(l.order.list.role) ? [l.order.instrument] : []));
    if (set.length > 0) this.endGroup(ocoGroupOf(list), [...new Set(set)]);
    this.lists.delete(list.listId);
    for (const l of list.legs) if (l) this.legOf.delete(l.order.clientOrderId);
  }

  /** The lists not yet ended, for the session's snapshot. */
  snapshot(): VenueList[] {
    return [...this.lists.values()].map((l) => structuredClone(l));
  }

  restore(lists: readonly VenueList[]): void {
    for (const list of lists) {
      const copy = structuredClone(list);
      this.lists.set(copy.listId, copy);
      copy.legs.forEach((l, leg) => {
        if (l) this.legOf.set(l.order.clientOrderId, { listId: copy.listId, leg });
      });
    }
  }
}

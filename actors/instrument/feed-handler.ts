import type { Emitted } from "../contract/index.ts";
import { decideBookUpdate, decideQuote, decideShape, decideStatus, decideTrade } from "./decide.ts";
import { advance, closeBarsAt, evolveBookUpdate, evolveQuote, evolveStatus, evolveTrade, reject } from "./evolve.ts";
import { InstrumentState, type RawBookUpdateInput, type RawQuoteInput, type RawStatusInput, type RawTradeInput } from "./state.ts";

/**
 * The instrument actor's logic: each feed item is decided (decide.ts: accepted, or rejected with a reason and
 * dead-lettered) and an accepted one evolves the state (evolve.ts: top of book, the L2 book with resynchronisation
 * in book-sync.ts, trading status, bars), writing what to emit into `out`. One handler lives in one actor's
 * context; per accepted item it allocates only the messages it emits.
 */
export class FeedHandler extends InstrumentState {
  /** One feed item at `nowUs`. Anything, even garbage, is either accepted or rejected with a reason; never thrown. */
  process(item: unknown, nowUs: number, out: Emitted[]): void {
    advance(this, nowUs, out);
    const bad = decideShape(item);
    if (bad !== null) {
      reject(this, item, bad, nowUs, out);
      return;
    }
    // one dispatch on the type, decision then change, as the hot path wants it
    const feed = item as RawQuoteInput | RawTradeInput | RawBookUpdateInput | RawStatusInput;
    switch (feed.type) {
      case "RawQuote": {
        const r = decideQuote(this, feed);
        if (r === null) evolveQuote(this, feed, nowUs, out);
        else reject(this, item, r, nowUs, out);
        return;
      }
      case "RawTrade": {
        const r = decideTrade(this, feed);
        if (r === null) evolveTrade(this, feed, nowUs, out);
        else reject(this, item, r, nowUs, out);
        return;
      }
      case "RawBookUpdate": {
        const r = decideBookUpdate(this, feed);
        if (r === null) evolveBookUpdate(this, feed, nowUs, out);
        else reject(this, item, r, nowUs, out);
        return;
      }
      case "RawStatus": {
        const r = decideStatus(this, feed);
        if (r === null) evolveStatus(this, feed, nowUs, out);
        else reject(this, item, r, nowUs, out);
        return;
      }
    }
  }

  /** Time passes without input: status from the calendar, due time bars, overdue snapshot requests. */
  tick(nowUs: number, out: Emitted[]): void {
    advance(this, nowUs, out);
    closeBarsAt(this, nowUs - this.barGraceUs, nowUs, out);
  }
}

/** Instrument ids are `SYMBOL.VENUE`: the venue is the part after the last dot, so `BRK.B.XNYS` is BRK.B on XNYS. */
export interface InstrumentId {
  symbol: string;
  venue: string;
}

export class IdError extends Error {
  override name = "IdError";
}

const VENUE_RE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
const SYMBOL_RE = /^[A-Za-z0-9][A-Za-z0-9._/:+-]{0,63}$/;

export function parseInstrumentId(text: string): InstrumentId {
  const dot = text.lastIndexOf(".");
  if (dot <= 0 || dot === text.length - 1) throw new IdError(`instrument id ${JSON.stringify(text)} must be SYMBOL.VENUE`);
  const symbol = text.slice(0, dot);
  const venue = text.slice(dot + 1);
  if (!SYMBOL_RE.test(symbol))
    throw new IdError(
      `instrument id ${JSON.stringify(text)}: symbol ${JSON.stringify(symbol)} has characters outside A-Z a-z 0-9 . _ / : + -`,
    );
  if (!VENUE_RE.test(venue))
    throw new IdError(`instrument id ${JSON.stringify(text)}: venue ${JSON.stringify(venue)} must be upper-case letters, digits, _ or -`);
  return { symbol, venue };
}

export const formatInstrumentId = (id: InstrumentId): string => `${id.symbol}.${id.venue}`;

/** Actor ids (orders, books, strategies): short, printable, no whitespace. */
const ACTOR_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:+/@-]{0,127}$/;
export function checkActorId(id: string, what = "id"): string {
  if (!ACTOR_ID_RE.test(id)) throw new IdError(`${what} ${JSON.stringify(id)} must be 1-128 printable characters without spaces`);
  return id;
}

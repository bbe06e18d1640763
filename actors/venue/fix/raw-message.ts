/**
 * FIX tag=value framing of whole messages, for what the engine cannot do right: resending a stored message
 * as it was sent (PossDupFlag, OrigSendingTime, new SendingTime, BodyLength and CheckSum recomputed) and gap fills,
 * written straight to the socket so a resend never moves the session's outgoing sequence number.
 */
export const SOH = "\x01";
export type FixField = readonly [tag: number, value: string];

/** UTCTimestamp with milliseconds: 20261205-13:30:39.123. */
export function utcTimestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

/** The fields of one message, in order; either delimiter (SOH on the wire, `|` in logs). */
export function fieldsOf(text: string): FixField[] {
  const delimiter = text.includes(SOH) ? SOH : "|";
  return text
    .split(delimiter)
    .filter((f) => f.length > 0)
    .map((f) => {
      const eq = f.indexOf("=");
      return [Number(f.slice(0, eq)), f.slice(eq + 1)] as const;
    });
}

/** A whole message from its fields after BodyLength (35 first), with BeginString, BodyLength and CheckSum. */
export function frame(beginString: string, body: readonly FixField[]): string {
  const inner = body.map(([t, v]) => `${t}=${v}${SOH}`).join("");
  const head = `8=${beginString}${SOH}9=${Buffer.byteLength(inner, "latin1")}${SOH}`;
  let sum = 0;
  const all = head + inner;
  for (let i = 0; i < all.length; i++) sum += all.charCodeAt(i);
  return `${all}10=${String(sum % 256).padStart(3, "0")}${SOH}`;
}

const framing: ReadonlySet<number> = new Set([8, 9, 10, 43, 52, 97, 122]);

/** A stored message again, as a possible duplicate: same sequence number and body, sent now. */
export function asPossibleDuplicate(stored: string, now: Date): string {
  const fields = fieldsOf(stored);
  const begin = fields.find(([t]) => t === 8)?.[1] ?? "FIX.4.4";
  const sent = fields.find(([t]) => t === 52)?.[1];
  const body: FixField[] = [];
  for (const f of fields) {
    if (framing.has(f[0])) continue;
    body.push(f);
    if (f[0] === 34) {
      body.push([43, "Y"], [52, utcTimestamp(now)]);
      if (sent) body.push([122, sent]);
    }
  }
  return frame(begin, body);
}

/** SequenceReset-GapFill at `seqNum`: the counterparty's next expected number becomes `newSeqNo`. */
export function gapFill(beginString: string, sender: string, target: string, seqNum: number, newSeqNo: number, now: Date): string {
  const t = utcTimestamp(now);
  return frame(beginString, [
    [35, "4"],
    [49, sender],
    [56, target],
    [34, String(seqNum)],
    [43, "Y"],
    [52, t],
    [122, t],
    [123, "Y"],
    [36, String(newSeqNo)],
  ]);
}

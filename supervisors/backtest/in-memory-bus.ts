/**
 * Who hears a subject on the in-memory bus: exact subscriptions by subject, wildcard ones (`*` one token, `>` the
 * rest) matched as NATS matches them. Each subject's subscribers, exact and wildcard, are resolved once and cached
 * (a subscription to the subject drops its entry, a wildcard one all); the cache is cleared when it grows past a
 * bound (order subjects are many and each is heard for a short while).
 */
export class SubscriptionIndex<T> {
  private readonly exact = new Map<string, T[]>();
  private readonly wild: { tokens: string[]; subscriber: T }[] = [];
  private readonly cache = new Map<string, T[]>();

  constructor(private readonly cacheLimit = 100_000) {}

  subscribe(pattern: string, subscriber: T): void {
    if (/(^|\.)[*>](\.|$)/.test(pattern)) {
      this.wild.push({ tokens: pattern.split("."), subscriber });
      this.cache.clear();
      return;
    }
    const list = this.exact.get(pattern);
    if (list) list.push(subscriber);
    else this.exact.set(pattern, [subscriber]);
    this.cache.delete(pattern);
  }

  /** Removes a subscription: a passivated entity's command subject, an interest its actor no longer has. */
  unsubscribe(subject: string, subscriber: T): void {
    if (/(^|\.)[*>](\.|$)/.test(subject)) {
      const at = this.wild.findIndex((w) => w.subscriber === subscriber && w.tokens.join(".") === subject);
      if (at >= 0) this.wild.splice(at, 1);
      this.cache.clear();
      return;
    }
    const list = this.exact.get(subject)?.filter((s) => s !== subscriber);
    if (list?.length) this.exact.set(subject, list);
    else this.exact.delete(subject);
    this.cache.delete(subject);
  }

  /** Subscribers of a subject: exact ones first, then wildcard ones in subscription order. */
  match(subject: string): readonly T[] {
    const known = this.cache.get(subject);
    if (known) return known;
    const exact = this.exact.get(subject);
    const tokens = subject.split(".");
    const heard = exact ? [...exact] : [];
    for (const w of this.wild) if (matches(w.tokens, tokens)) heard.push(w.subscriber);
    if (this.cache.size >= this.cacheLimit) this.cache.clear();
    this.cache.set(subject, heard);
    return heard;
  }

  /** The exact subscribers of a subject (a command's actor). */
  exactly(subject: string): readonly T[] | undefined {
    return this.exact.get(subject);
  }
}

function matches(pattern: string[], tokens: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === ">") return tokens.length > i;
    if (i >= tokens.length) return false;
    if (p !== "*" && p !== tokens[i]) return false;
  }
  return pattern.length === tokens.length;
}

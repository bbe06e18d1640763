/**
 * Deterministic client order ids: <strategyId>.<session>.<n>. The session is the start time in base 36, so ids
 * from a restarted actor never collide with its previous life, and a replayed backtest produces the same ids.
 */
export class ClientOrderIds {
  private session = "0";
  private n = 0;
  constructor(readonly strategyId: string) {}

  startSession(nowUs: number): void {
    this.session = Math.max(0, Math.floor(nowUs)).toString(36);
    this.n = 0;
  }

  next(): string {
    this.n += 1;
    return `${this.strategyId}.${this.session}.${this.n}`;
  }

  /** Whether an order id was made by this strategy (in any session). */
  owns(clientOrderId: string): boolean {
    return (
      clientOrderId.length > this.strategyId.length &&
      clientOrderId.startsWith(this.strategyId) &&
      clientOrderId[this.strategyId.length] === "."
    );
  }
}

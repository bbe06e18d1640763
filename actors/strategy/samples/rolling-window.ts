/** The latest `capacity` values of a series, oldest first (a ring: no allocation per value once full). */
export class RollingWindow {
  private readonly ring: number[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a rolling window holds at least 1 value, got ${capacity}`);
  }

  get size(): number {
    return this.ring.length;
  }

  get full(): boolean {
    return this.ring.length === this.capacity;
  }

  push(x: number): void {
    if (this.ring.length < this.capacity) this.ring.push(x);
    else {
      this.ring[this.head] = x;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  values(): number[] {
    return [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }
}

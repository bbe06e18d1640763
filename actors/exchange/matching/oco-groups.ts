/**
 * One-cancels-other groups of a book: orders that must not both trade. The first of a group to fill (in part or in
 * full) wins and keeps working; the match loop cancels any other member it meets before matching it, and the
 * engine cancels the members the loop did not meet before its command returns, so no later trade can reach them.
 */
export class OcoGroups {
  private readonly groupOf = new Map<number, string>();
  private readonly winnerOf = new Map<string, number>();

  /** Whether any order of the book is in a group: the match loop's one check when none is. */
  get active(): boolean {
    return this.groupOf.size > 0;
  }

  join(orderId: number, group: string): void {
    this.groupOf.set(orderId, group);
  }

  /** The group of an order, if it has one (kept in a restart's snapshot). */
  group(orderId: number): string | undefined {
    return this.groupOf.get(orderId);
  }

  /** Another member of its group has filled: this order must not trade. */
  lost(orderId: number): boolean {
    const g = this.groupOf.get(orderId);
    if (g === undefined) return false;
    const w = this.winnerOf.get(g);
    return w !== undefined && w !== orderId;
  }

  /** A member traded: the first to do so wins its group. */
  traded(orderId: number): void {
    const g = this.groupOf.get(orderId);
    if (g !== undefined && !this.winnerOf.has(g)) this.winnerOf.set(g, orderId);
  }

  /** Members whose group another member has won, oldest first: to cancel before anything else trades. */
  losers(): number[] {
    const out: number[] = [];
    for (const id of this.groupOf.keys()) if (this.lost(id)) out.push(id);
    return out.sort((a, b) => a - b);
  }

  /**
   * Forgets closed orders. A group's winner is remembered until the group ends: a member placed after the winner
   * filled (a bracket's second exit, placed in the same step as the first) must still lose.
   */
  prune(isOpen: (orderId: number) => boolean): void {
    for (const id of this.groupOf.keys()) if (!isOpen(id)) this.groupOf.delete(id);
  }

  /** The group's owner is done with it (every member ended): its winner is forgotten. */
  end(group: string): void {
    this.winnerOf.delete(group);
    for (const [id, g] of this.groupOf) if (g === group) this.groupOf.delete(id);
  }
}

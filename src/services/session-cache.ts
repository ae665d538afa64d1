/**
 * The rows `authenticate` read (a session joined with its user), kept for a short while so the hottest read of all
 * does not reach the database on every request. Told at once of every change to a user or their sessions (this
 * instance's commits directly, the others' over the bus), and never older than its time to live, which bounds a
 * notice lost on the way. A cached row may only let a request through: a refusal is always read again.
 */
export class SessionCache<Row> {
  private readonly rows = new Map<
    string,
    { readonly row: Row; readonly userId: number; readonly at: number }
  >();
  // Bumped by every change of a user, so a read that began before the change does not cache what it read.
  private readonly epochs = new Map<number, number>();
  private epoch = 0;

  constructor(private readonly ttlMs: number) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get(sessionId: string): Row | undefined {
    const entry = this.rows.get(sessionId);
    if (entry === undefined) return undefined;
    if (Date.now() - entry.at < this.ttlMs) return entry.row;
    this.rows.delete(sessionId);
    return undefined;
  }

  /** The epoch to hand back to `set`: a change of the user in between keeps the row out. */
  begin(): number {
    return this.epoch;
  }

  set(sessionId: string, userId: number, row: Row, begun: number): void {
    if (!this.enabled || (this.epochs.get(userId) ?? -1) >= begun) return;
    this.rows.set(sessionId, { row, userId, at: Date.now() });
    this.prune();
  }

  forgetUsers(userIds: readonly number[]): void {
    this.epoch += 1;
    const changed = new Set(userIds);
    for (const userId of changed) this.epochs.set(userId, this.epoch);
    for (const [sessionId, entry] of this.rows) if (changed.has(entry.userId)) this.rows.delete(sessionId);
  }

  /** After a break of the bus, whose notices may have been lost. */
  clear(): void {
    this.epoch += 1;
    for (const entry of this.rows.values()) this.epochs.set(entry.userId, this.epoch);
    this.rows.clear();
  }

  // Expired rows and old epochs go once the maps grow: an epoch older than every live row's read matters no more.
  private prune(): void {
    if (this.rows.size + this.epochs.size < 10_000) return;
    const now = Date.now();
    for (const [sessionId, entry] of this.rows) if (now - entry.at >= this.ttlMs) this.rows.delete(sessionId);
    if (this.rows.size === 0) this.epochs.clear();
  }
}

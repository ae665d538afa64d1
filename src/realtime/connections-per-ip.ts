/** Counts the open sockets of each client address, so one address cannot hold every socket the server can take. */
export class ConnectionsPerIp {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a slot for `address`; undefined when it holds its maximum already, else the function that frees it. */
  claim(address: string): (() => void) | undefined {
    const count = this.counts.get(address) ?? 0;
    if (count >= this.max) return undefined;
    this.counts.set(address, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(address) ?? 1) - 1;
      if (left <= 0) this.counts.delete(address);
      else this.counts.set(address, left);
    };
  }
}

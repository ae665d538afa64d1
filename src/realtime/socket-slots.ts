/** How many sockets may be open at once; see SocketLimits in the config. */
export interface SocketSlotLimits {
  /** Per client address, of both kinds. */
  readonly perIp: number;
  /** Per client address, of those that hold no signed channel yet. */
  readonly unauthenticatedPerIp: number;
  /** On this instance, from all clients together. */
  readonly total: number;
}

/** One open socket's place in the counts. */
export interface SocketSlot {
  /** The socket now holds a signed channel (or an accepted connection_init): it no longer counts as anonymous. */
  authenticated(): void;
  /** The socket closed; calling it again does nothing. */
  release(): void;
}

interface AddressCounts {
  open: number;
  anonymous: number;
}

/**
 * Counts open sockets per client address, anonymous ones apart, and on the whole instance, so that no one client
 * (least of all one that needs only the public Pusher key) can hold the slots every other client needs.
 */
export class SocketSlots {
  private readonly byAddress = new Map<string, AddressCounts>();
  private open = 0;

  constructor(private readonly limits: SocketSlotLimits) {}

  /** Takes an anonymous slot for a socket from `address`; undefined when a limit is reached. */
  claim(address: string): SocketSlot | undefined {
    const counts = this.byAddress.get(address) ?? { open: 0, anonymous: 0 };
    if (
      this.open >= this.limits.total ||
      counts.open >= this.limits.perIp ||
      counts.anonymous >= this.limits.unauthenticatedPerIp
    ) {
      return undefined;
    }
    counts.open += 1;
    counts.anonymous += 1;
    this.open += 1;
    this.byAddress.set(address, counts);
    let anonymous = true;
    let released = false;
    return {
      authenticated: () => {
        if (!anonymous || released) return;
        anonymous = false;
        counts.anonymous -= 1;
      },
      release: () => {
        if (released) return;
        released = true;
        this.open -= 1;
        counts.open -= 1;
        if (anonymous) counts.anonymous -= 1;
        if (counts.open === 0) this.byAddress.delete(address);
      },
    };
  }
}

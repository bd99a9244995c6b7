/**
 * Which email registrations have already received this app server's key. The Email-notify
 * handshake sends the sender's public key in the first mail to a registration; once the device
 * has pinned it, later mails leave it out and stay compact. Keep this in the app server's
 * database (implement the interface) so a restart does not resend keys to every device; the
 * memory default forgets on restart, which costs only bigger first mails.
 */
export interface HandshakeStore {
  /** Whether a mail with the sender key has been accepted for delivery to this registration. */
  has(registrationKey: string): Promise<boolean> | boolean;
  /** Records that it has. */
  add(registrationKey: string): Promise<void> | void;
}

export interface MemoryHandshakeStoreOptions {
  /**
   * Registrations remembered; the oldest is forgotten past this (it then gets the key again).
   * @default 100000
   */
  maxEntries?: number;
}

export const MEMORY_HANDSHAKE_STORE_DEFAULTS = { maxEntries: 100_000 } satisfies Required<MemoryHandshakeStoreOptions>;

export function createMemoryHandshakeStore(options: MemoryHandshakeStoreOptions = {}): HandshakeStore {
  const { maxEntries } = { ...MEMORY_HANDSHAKE_STORE_DEFAULTS, ...options };
  // A Set iterates in insertion order, so its first entry is the oldest.
  const done = new Set<string>();
  return {
    has: (registrationKey) => done.has(registrationKey),
    add(registrationKey) {
      done.delete(registrationKey);
      done.add(registrationKey);
      if (done.size > maxEntries) {
        const oldest = done.values().next().value;
        if (oldest !== undefined) done.delete(oldest);
      }
    },
  };
}

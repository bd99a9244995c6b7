import { withDefaults } from '@fosspush/core';
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
  const { maxEntries } = withDefaults(MEMORY_HANDSHAKE_STORE_DEFAULTS, options);
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

import { type ChannelStateStore, FosspushError } from '@fosspush/core';

/** One registration as the device stores it: enough to unsubscribe and to rebuild its token. */
export interface StoredSubscription {
  subscriptionUrl: string;
  endpoint: string;
}

export interface PersistedChannelState {
  setUrl: string | undefined;
  subscriptions: Map<string, StoredSubscription>;
  cursor: number | undefined;
}

const KEYS = { setUrl: 'setUrl', subscriptions: 'subscriptions', cursor: 'cursor' } as const;

function corrupt(key: string, cause?: unknown): FosspushError {
  return new FosspushError('INTERNAL', `the channel's stored ${key} is unreadable`, { cause, details: { key } });
}

function parseSubscriptions(text: string | undefined): Map<string, StoredSubscription> {
  if (text === undefined) return new Map();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw corrupt(KEYS.subscriptions, cause);
  }
  if (typeof value !== 'object' || value === null) throw corrupt(KEYS.subscriptions);
  const out = new Map<string, StoredSubscription>();
  for (const [id, entry] of Object.entries(value)) {
    const { subscriptionUrl, endpoint } = (entry ?? {}) as Partial<StoredSubscription>;
    if (typeof subscriptionUrl !== 'string' || typeof endpoint !== 'string') throw corrupt(KEYS.subscriptions);
    out.set(id, { subscriptionUrl, endpoint });
  }
  return out;
}

/**
 * A device channel's durable state in the host's ChannelStateStore: the subscription set URL,
 * every registration's subscription URL and endpoint (so tokens survive a restart), and the
 * resume cursor. Cursor writes are coalesced: they happen per message, and only the latest
 * value matters.
 */
export function createChannelStateView(store: ChannelStateStore, onWriteError: (error: unknown) => void) {
  let wantedCursor: number | undefined;
  let writtenCursor: number | undefined;
  let cursorWrite: Promise<void> | undefined;

  const writeCursor = async () => {
    while (wantedCursor !== writtenCursor) {
      const value = wantedCursor;
      try {
        if (value === undefined) await store.delete(KEYS.cursor);
        else await store.set(KEYS.cursor, String(value));
        writtenCursor = value;
      } catch (error) {
        onWriteError(error);
        break;
      }
    }
    cursorWrite = undefined;
  };

  return {
    async load(): Promise<PersistedChannelState> {
      const [setUrl, subscriptions, cursorText] = await Promise.all([
        store.get(KEYS.setUrl),
        store.get(KEYS.subscriptions),
        store.get(KEYS.cursor),
      ]);
      const cursor = cursorText === undefined ? undefined : Number(cursorText);
      if (cursor !== undefined && !Number.isSafeInteger(cursor)) throw corrupt(KEYS.cursor);
      writtenCursor = cursor;
      wantedCursor = cursor;
      return { setUrl, subscriptions: parseSubscriptions(subscriptions), cursor };
    },
    async saveSet(setUrl: string) {
      await store.set(KEYS.setUrl, setUrl);
    },
    async saveSubscriptions(subscriptions: ReadonlyMap<string, StoredSubscription>) {
      await store.set(KEYS.subscriptions, JSON.stringify(Object.fromEntries(subscriptions)));
    },
    saveCursor(cursor: number | undefined) {
      wantedCursor = cursor;
      // Only start a write when there is one to do: a writer that found nothing to write would
      // finish before `cursorWrite` was assigned, and leave it set for good, so that no later
      // cursor would ever be stored.
      if (cursorWrite === undefined && wantedCursor !== writtenCursor) cursorWrite = writeCursor();
    },
    /** Forgets the set and everything in it: the service no longer knows it. */
    async clear() {
      wantedCursor = undefined;
      await cursorWrite;
      await Promise.all([store.delete(KEYS.setUrl), store.delete(KEYS.subscriptions), store.delete(KEYS.cursor)]);
      writtenCursor = undefined;
    },
    /** Resolves once every cursor write so far is stored. */
    async flush() {
      await cursorWrite;
    },
  };
}

export type ChannelStateView = ReturnType<typeof createChannelStateView>;

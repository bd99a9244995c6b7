import { type ChannelStateStore, type Clock, FosspushError } from '@fosspush/core';

const KEY = 'ledger';

interface LedgerWire {
  /** Seen-id key -> until when it is remembered (ms since the epoch). */
  seen: Record<string, number>;
  /** Acked notifications still to be expunged from the notification folder. */
  deletes?: { uidValidity: string; uids: number[] };
}

/** What the host's ack makes durable about one notification. */
export interface AckRecord {
  seenKey: string;
  /** When the seen id may be forgotten: the notification has expired by then anyway. */
  expiresAt: number;
  uidValidity: string;
  uid: number;
}

function corrupt(cause?: unknown): FosspushError {
  return new FosspushError('INTERNAL', "the email channel's stored delivery ledger is unreadable", { cause, details: { key: KEY } });
}

function parseWire(text: string | undefined): LedgerWire {
  if (text === undefined) return { seen: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw corrupt(cause);
  }
  const wire = value as Partial<LedgerWire> | null;
  if (typeof wire?.seen !== 'object' || wire.seen === null) throw corrupt();
  if (wire.deletes !== undefined && (typeof wire.deletes?.uidValidity !== 'string' || !Array.isArray(wire.deletes.uids))) throw corrupt();
  return wire as LedgerWire;
}

/**
 * The receiver's delivery ledger, one state entry written as a whole: the seen ids of acked
 * notifications and the acked notifications not yet expunged.
 *
 * A seen id is recorded at the host's ack, not when the mail is parsed: a crash between the
 * two then delivers the mail again (at least once) instead of rejecting it as a replay and
 * losing it. Seen id and pending delete are written together, so after a crash between ack
 * and expunge the mail is expunged on reconnect rather than quarantined as a replay of itself.
 * Writes are coalesced: a burst of acks costs a few writes, not one each.
 */
export function createAckedMailLedger(store: ChannelStateStore, clock: Clock) {
  let seen = new Map<string, number>();
  let deletes: { uidValidity: string; uids: Set<number> } | undefined;
  let version = 0;
  let written = 0;
  let writing: Promise<void> | undefined;

  const serialize = (): string => {
    const now = clock.now();
    for (const [key, until] of seen) if (until < now) seen.delete(key);
    const wire: LedgerWire = { seen: Object.fromEntries(seen) };
    if (deletes !== undefined && deletes.uids.size > 0) wire.deletes = { uidValidity: deletes.uidValidity, uids: [...deletes.uids] };
    return JSON.stringify(wire);
  };

  const writeOnce = () =>
    (writing ??= (async () => {
      const target = version;
      try {
        await store.set(KEY, serialize());
        written = Math.max(written, target);
      } finally {
        writing = undefined;
      }
    })());

  /** Resolves once everything changed so far is stored. */
  const persist = async (): Promise<void> => {
    version++;
    const target = version;
    while (written < target) await writeOnce();
  };

  return {
    async load(): Promise<void> {
      const wire = parseWire(await store.get(KEY));
      seen = new Map(Object.entries(wire.seen).filter(([, until]) => typeof until === 'number'));
      deletes = wire.deletes === undefined ? undefined : { uidValidity: wire.deletes.uidValidity, uids: new Set(wire.deletes.uids) };
    },
    isSeen(seenKey: string): boolean {
      const until = seen.get(seenKey);
      return until !== undefined && until >= clock.now();
    },
    /** Makes an ack durable: the id is seen, and the mail is due for expunging. */
    recordAck(record: AckRecord): Promise<void> {
      seen.set(record.seenKey, record.expiresAt);
      if (deletes?.uidValidity !== record.uidValidity) deletes = { uidValidity: record.uidValidity, uids: new Set() };
      deletes.uids.add(record.uid);
      return persist();
    },
    /** Acked UIDs still in the folder; pending deletes of an older UIDVALIDITY are void (the mail was renumbered or is gone). */
    pendingDeletes(uidValidity: string): number[] {
      if (deletes === undefined) return [];
      if (deletes.uidValidity !== uidValidity) {
        deletes = undefined;
        return [];
      }
      return [...deletes.uids];
    },
    /** Idempotent: the expunge may have happened before a crash, and runs again. */
    expunged(uidValidity: string, uids: readonly number[]): Promise<void> {
      if (deletes?.uidValidity !== uidValidity) return Promise.resolve();
      for (const uid of uids) deletes.uids.delete(uid);
      return persist();
    },
    /** Resolves once pending writes are stored. */
    async flush(): Promise<void> {
      while (written < version) await writeOnce();
    },
  };
}

export type AckedMailLedger = ReturnType<typeof createAckedMailLedger>;

import type { Store } from '@fosspush/core';
import { type GoneReason, writeSet, writeTombstone } from './subscriptions.js';

/**
 * Before the Store had records, the push server kept its sets and tombstones as registrations:
 * a set's marker `set:<setId>` owned by `sets` (data `{ address, seen? }`), beside it
 * `a:<setId>` owned by `sets@<address>`, and a tombstone under the push id owned by
 * `unsubscribed` (data `{ gone: reason }`). Every one of them had an expiry.
 */
const LEGACY = { setsOwner: 'sets', markerPrefix: 'set:', addressRecordPrefix: 'a:', tombstonesOwner: 'unsubscribed' } as const;
const PAGE = 1000;

/**
 * Moves what an older push server stored as registrations into records, so that an upgraded
 * server keeps its subscription sets (else every device would have to subscribe again) and its
 * 410s. It writes each record before it deletes the registration, so it can stop at any point
 * and run again; every node may run it at start. With nothing left to move it costs two reads.
 */
export async function moveLegacyRecords(store: Store): Promise<{ sets: number; tombstones: number }> {
  let sets = 0;
  let tombstones = 0;
  for (;;) {
    const page = await store.listExpiringRegistrations(LEGACY.tombstonesOwner, Number.MAX_SAFE_INTEGER, PAGE);
    for (const tombstone of page) {
      const reason: GoneReason = tombstone.data['gone'] === 'reclaimed' ? 'reclaimed' : 'unsubscribed';
      await writeTombstone(store, tombstone.id, reason, tombstone.expiresAt as number);
      await store.deleteRegistration(tombstone.id);
      tombstones++;
    }
    if (page.length < PAGE) break;
  }
  for (;;) {
    const page = await store.listExpiringRegistrations(LEGACY.setsOwner, Number.MAX_SAFE_INTEGER, PAGE);
    for (const marker of page) {
      const setId = marker.id.slice(LEGACY.markerPrefix.length);
      const marked = { address: marker.data['address'] ?? 'unknown', seen: marker.data['seen'] !== undefined };
      await writeSet(store, setId, marked, marker.expiresAt as number);
      await store.deleteRegistration(`${LEGACY.addressRecordPrefix}${setId}`);
      await store.deleteRegistration(marker.id);
      sets++;
    }
    if (page.length < PAGE) break;
  }
  return { sets, tombstones };
}

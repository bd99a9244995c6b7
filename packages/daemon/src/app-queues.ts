import type { Store } from '@fosspush/core';
import { createKeyedQueue } from './keyed-queue.js';
import type { Observers } from './observers.js';
import type { Records } from './records.js';

/**
 * Bounds how many unread messages the daemon holds per app. Past the bound the oldest are
 * dropped and counted; the app hears about it through a `deleted` notification (GCM's
 * onDeletedMessages), now if it is observing, else when it next observes.
 */
export interface AppQueues {
  /** Counts a newly stored message; drops the oldest past the bound. */
  added(appId: string): Promise<void>;
  removed(appId: string, count: number): void;
  /** Recounts from the store (after purges and unregistrations, and at start). */
  recount(appId: string): Promise<number>;
  /** Reports dropped messages the app has not heard about yet. */
  flushDeleted(appId: string): Promise<void>;
}

const PAGE = 1000;

export function createAppQueues(store: Store, deletedRecords: Records, observers: Observers, maxQueuedPerApp: number): AppQueues {
  const counts = new Map<string, number>();
  // Deliveries run concurrently; counting and dropping must not interleave for one app.
  const serial = createKeyedQueue();

  async function recount(appId: string): Promise<number> {
    let total = 0;
    let afterSeq = 0;
    for (;;) {
      const page = await store.listMessages({ owner: appId, afterSeq, limit: PAGE });
      total += page.length;
      const last = page.at(-1);
      if (!last || page.length < PAGE) break;
      afterSeq = last.seq;
    }
    counts.set(appId, total);
    return total;
  }

  async function flushDeleted(appId: string): Promise<void> {
    const pending = Number((await deletedRecords.get(appId)) ?? 0);
    if (pending > 0 && observers.notify(appId, 'deleted', { appId, count: pending }) > 0) await deletedRecords.delete(appId);
  }

  async function add(appId: string): Promise<void> {
    const estimate = (counts.get(appId) ?? 0) + 1;
    counts.set(appId, estimate);
    if (estimate <= maxQueuedPerApp) return;
    // Concurrent deliveries can over-count; an exact count decides what to drop.
    const count = await recount(appId);
    const excess = count - maxQueuedPerApp;
    if (excess <= 0) return;
    const oldest = await store.listMessages({ owner: appId, limit: excess });
    let dropped = 0;
    for (const message of oldest) if (await store.ack(message.id)) dropped++;
    counts.set(appId, count - dropped);
    const pending = Number((await deletedRecords.get(appId)) ?? 0);
    await deletedRecords.set(appId, String(pending + dropped));
    await flushDeleted(appId);
  }

  return {
    recount: (appId) => serial(appId, () => recount(appId)),
    flushDeleted: (appId) => serial(appId, () => flushDeleted(appId)),
    removed(appId, count) {
      counts.set(appId, Math.max(0, (counts.get(appId) ?? 0) - count));
    },
    added: (appId) => serial(appId, () => add(appId)),
  };
}

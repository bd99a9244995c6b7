import { SET_TOUCH_INTERVAL_MS } from '../subscriptions.js';
import type { PushServerWiring } from './wiring.js';

/**
 * Renews connected sets, reclaims abandoned ones and purges expired messages every
 * `purgeIntervalMs`, one sweep at a time. Returns the function that stops it.
 */
export function startSweeper({ hub, subscriptions, storage, metrics, logger, settings, runtime }: PushServerWiring): () => void {
  // Reclaim before purge, on the same node and in this order: the purge forgets expired set
  // markers, so a set must be reclaimed (its push resources turned into 410s) first. The
  // lookahead covers the time between the two, unless the clock moved past it meanwhile (a
  // slow store, a clock step): then the purge waits for the next sweep, whose reclaim comes
  // first again. A marker purged unreclaimed would leave its push resources alive for good.
  const sweep = async () => {
    await hub.touchConnected(SET_TOUCH_INTERVAL_MS);
    const reclaimedUpTo = runtime.clock.now() + settings.purgeIntervalMs;
    const reclaimed = await subscriptions.reclaimExpired(settings.purgeIntervalMs);
    if (reclaimed > 0) {
      metrics.setsReclaimed.inc(reclaimed);
      logger.info('sets_reclaimed', { count: reclaimed });
    }
    if (runtime.clock.now() > reclaimedUpTo) return;
    const expired = await storage.store.purgeExpired();
    if (expired > 0) {
      metrics.expired.inc(expired);
      logger.debug('purged', { expired });
    }
  };
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweep()
      .catch((error) => logger.warn('purge_failed', { error }))
      .finally(() => {
        sweeping = false;
      });
  }, settings.purgeIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

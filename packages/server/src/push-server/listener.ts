import type { AddressInfo } from 'node:net';
import { moveLegacyRecords } from '../legacy-records.js';
import type { PushServerWiring } from './wiring.js';

export interface Listener {
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts and stops the HTTP server. Closing drains: no new connections, requests in flight
 * finish (or are cut after `drainTimeoutMs`), device streams close, then the store.
 */
export function createListener(wiring: PushServerWiring, stopSweeper: () => void): Listener {
  const { httpServer, storage, logger, settings, address, drain, hub, transports } = wiring;
  let closed: Promise<void> | undefined;

  const shutDown = async () => {
    drain.closing = true;
    stopSweeper();
    const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeIdleConnections();
    await drain.idle(settings.drainTimeoutMs);
    hub.closeAll('server shutting down');
    await Promise.all([transports.websocket.close(), transports.sse.close()]);
    httpServer.closeAllConnections();
    await stopped;
    await storage.close();
    logger.info('stopped', {});
  };

  return {
    async listen(port, host) {
      // Fail here, not on the first request, when the store cannot open or is unreachable (Redis down).
      await storage.ready();
      await storage.store.ping();
      const moved = await moveLegacyRecords(storage.store);
      if (moved.sets + moved.tombstones > 0) logger.info('legacy_records_moved', moved);
      return new Promise<string>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const bound = httpServer.address() as AddressInfo;
          const hostPart = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
          const url = `http://${hostPart}:${bound.port}`;
          address.listenUrl = url;
          logger.info('listening', { url, publicUrl: address.publicUrl, storage: settings.storage.kind });
          if (address.publicUrl === undefined && (bound.address === '0.0.0.0' || bound.address === '::')) {
            logger.warn('public_url_missing', { url, hint: 'listening on every address: set --public-url to the URL devices and app servers use, else links and the VAPID audience name this wildcard address' });
          }
          resolve(url);
        });
      });
    },
    close() {
      closed ??= shutDown();
      return closed;
    },
  };
}

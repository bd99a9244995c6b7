import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PushServer } from '@fosspush/server';

export interface OperatorListener {
  /** `http://127.0.0.1:9464`: where /healthz and /metrics answer. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `--admin-listen`: /healthz and /metrics on an address of their own (loopback, or a
 * monitoring network), so the public listener and the reverse proxy never expose them.
 */
export function listenOperator(server: PushServer, address: { host: string; port: number }): Promise<OperatorListener> {
  const http = createServer({ keepAliveTimeout: 5000 }, server.operatorHandler);
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(address.port, address.host, () => {
      http.off('error', reject);
      const bound = http.address() as AddressInfo;
      const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
      resolve({
        url: `http://${host}:${bound.port}`,
        close: () =>
          new Promise<void>((done) => {
            http.close(() => done());
            http.closeAllConnections();
          }),
      });
    });
  });
}

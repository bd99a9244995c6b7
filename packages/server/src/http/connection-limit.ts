import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { addressKey } from './address-key.js';

/** The socket's counted address, kept on the socket so its close needs no closure. */
const COUNTED = Symbol('fosspush.countedAddress');
type CountedSocket = Socket & { [COUNTED]?: string };

/**
 * Refuses a connection when its address (an IPv6 /64 counts as one) already holds `limit`:
 * with only a global cap, one client could hold every slot and starve the rest.
 */
export function limitConnectionsPerAddress(server: Server, limit: number, onRefused: (address: string) => void): void {
  const open = new Map<string, number>();
  function release(this: CountedSocket): void {
    const key = this[COUNTED] as string;
    const left = (open.get(key) ?? 1) - 1;
    if (left === 0) open.delete(key);
    else open.set(key, left);
  }
  server.on('connection', (socket: CountedSocket) => {
    const key = addressKey(socket.remoteAddress ?? 'unknown');
    const count = open.get(key) ?? 0;
    if (count >= limit) {
      onRefused(key);
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 10\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    open.set(key, count + 1);
    socket[COUNTED] = key;
    socket.once('close', release);
  });
}

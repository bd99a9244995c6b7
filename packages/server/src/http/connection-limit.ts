import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { FosspushError } from '@fosspush/core';
import { refuseSocket } from '@fosspush/webpush/node';
import { addressKey } from './address-key.js';

/** The socket's counted address, kept on the socket so its close needs no closure. */
const COUNTED = Symbol('fosspush.countedAddress');
type CountedSocket = Socket & { [COUNTED]?: string };

/** One error for every refusal: the answer is the same, and a flood of them should cost little. */
const TOO_MANY_CONNECTIONS = new FosspushError('UNAVAILABLE', 'too many connections from your address: retry later', { details: { retryAfterSeconds: 10 } });

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
      refuseSocket(socket, TOO_MANY_CONNECTIONS);
      return;
    }
    open.set(key, count + 1);
    socket[COUNTED] = key;
    socket.once('close', release);
  });
}

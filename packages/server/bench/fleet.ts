// A benchmark child holding many device connections: counts messages, measures latency from
// the monotonic time inside each payload, and acks when the protocol has acks: as our client
// channel does (packages/websocket/src/ack-batcher.ts), the acks of messages that arrive in one
// read go out in one frame when the server's ready frame allows it.
import { WebSocket } from 'ws';
import type { DeviceWire } from './deployments.js';
import { serveParent } from './ipc.js';
import { ageMsOf } from './payload.js';

const MAX_SAMPLES = 500_000;
/** FOSSPUSH_BENCH_ACKS=0: our devices never ack, to show what the ack path costs the server. */
const ACKS = process.env['FOSSPUSH_BENCH_ACKS'] !== '0';
const sockets: WebSocket[] = [];
let received = 0;
let latencies: number[] = [];

function sample(payload: Buffer): void {
  received++;
  if (latencies.length < MAX_SAMPLES) latencies.push(ageMsOf(payload));
}

function open(url: string, wire: DeviceWire): Promise<void> {
  return new Promise((resolve, reject) => {
    // nchan sends the published bytes as they are, in text frames: they are not UTF-8.
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: wire === 'raw' });
    sockets.push(ws);
    ws.once('error', reject);
    if (wire !== 'fosspush') ws.once('open', () => resolve());
    if (wire === 'raw') {
      ws.on('message', (data: Buffer) => sample(data));
      return;
    }
    let maxAckIds = 1;
    let pending: string[] = [];
    const flushAcks = () => {
      for (let start = 0; start < pending.length; start += maxAckIds) {
        const ids = pending.slice(start, start + maxAckIds);
        ws.send(ids.length === 1 ? `{"type":"ack","id":"${ids[0]}"}` : JSON.stringify({ type: 'ack', ids }));
      }
      pending = [];
    };
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: string; payload?: string; maxAckIds?: number };
      if (frame.type === 'ready') {
        maxAckIds = frame.maxAckIds ?? 1;
        return resolve();
      }
      if (frame.type !== 'msg') return;
      sample(Buffer.from(frame.payload ?? '', 'base64url'));
      if (wire === 'fosspush' && ACKS && pending.push(frame.id ?? '') === 1) queueMicrotask(flushAcks);
    });
  });
}

serveParent({
  async connect(args: { urls: string[]; wire: DeviceWire; concurrency?: number }) {
    const queue = [...args.urls];
    const worker = async () => {
      for (let url = queue.shift(); url !== undefined; url = queue.shift()) await open(url, args.wire);
    };
    await Promise.all(Array.from({ length: args.concurrency ?? 50 }, worker));
    return sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  },
  /** Drops the latency samples a flood collected, without sending them back. */
  clearSamples() {
    latencies = [];
  },
  stats(args: { reset?: boolean } = {}) {
    const result = { received, open: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length, latencies };
    if (args.reset) latencies = [];
    return result;
  },
  async closeAll() {
    for (const ws of sockets) ws.terminate();
    sockets.length = 0;
  },
});

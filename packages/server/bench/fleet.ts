// A benchmark child holding many device connections: counts messages, measures latency from
// the wall-clock time inside each payload, and acks when the protocol has acks.
import { WebSocket } from 'ws';
import { serveParent } from './ipc.js';
import { sentAtOf, wallClockMs } from './payload.js';

const MAX_SAMPLES = 500_000;
const sockets: WebSocket[] = [];
let received = 0;
let latencies: number[] = [];

function open(url: string, options: { ack: boolean; readyFrame: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(ws);
    ws.once('error', reject);
    if (!options.readyFrame) ws.once('open', () => resolve());
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: string; payload?: string };
      if (frame.type === 'ready') return resolve();
      if (frame.type !== 'msg') return;
      received++;
      if (latencies.length < MAX_SAMPLES) latencies.push(wallClockMs() - sentAtOf(Buffer.from(frame.payload ?? '', 'base64url')));
      if (options.ack) ws.send(`{"type":"ack","id":"${frame.id}"}`);
    });
  });
}

serveParent({
  async connect(args: { urls: string[]; ack: boolean; readyFrame: boolean; concurrency?: number }) {
    const queue = [...args.urls];
    const worker = async () => {
      for (let url = queue.shift(); url !== undefined; url = queue.shift()) await open(url, args);
    };
    await Promise.all(Array.from({ length: args.concurrency ?? 50 }, worker));
    return sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
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

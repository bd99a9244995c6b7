import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Message } from '../src/gcm/message.js';
import { Sender } from '../src/gcm/sender.js';
import type { Transport } from '../src/transport/transport.js';
import { fakeToken } from './fake-transport.js';

setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

const TOKENS = 100_000;
const CONCURRENCY = 64;

describe('streaming 100,000 tokens', () => {
  it('keeps in-flight sends at the concurrency and the heap bounded', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const transport: Transport = {
      async send() {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return { messageId: 'm' };
      },
    };
    const sender = new Sender({ transports: { webpush: transport }, concurrency: CONCURRENCY });

    let pulled = 0;
    async function* tokens() {
      for (let i = 0; i < TOKENS; i++) {
        pulled++;
        yield fakeToken(i);
      }
    }

    collectGarbage();
    const baseline = process.memoryUsage().heapUsed;
    const growth: number[] = [];
    let received = 0;
    let maxAhead = 0;
    for await (const { result } of sender.sendStream(new Message({ data: { hello: 'world' } }), tokens())) {
      expect(result).toEqual({ message_id: 'm' });
      received++;
      maxAhead = Math.max(maxAhead, pulled - received);
      if (received % 10_000 === 0) {
        collectGarbage();
        growth.push(process.memoryUsage().heapUsed - baseline);
      }
    }

    expect(received).toBe(TOKENS);
    expect(maxInFlight).toBe(CONCURRENCY);
    // Taken from the source but not yet handed back: never more than the concurrency (+1 for
    // the result being read right now).
    expect(maxAhead).toBeLessThanOrEqual(CONCURRENCY + 1);
    // Holding every token and result would take tens of megabytes (each token is ~240 bytes);
    // streaming keeps the live set to a few dozen of each.
    expect(Math.max(...growth)).toBeLessThan(8 * 1024 * 1024);
  }, 60_000);
});

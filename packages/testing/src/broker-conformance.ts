import type { Broker, BrokerEvent } from '@fosspush/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * The behaviour every Broker driver must have. `create` may return two brokers sharing one
 * backend (two nodes); a single-node driver returns the same broker twice.
 */
export function describeBrokerConformance(
  driver: string,
  create: () => Promise<[Broker, Broker]>,
  /** `synchronous`: the driver offers `publishSync`. @default { synchronous: false } */
  options: { synchronous?: boolean } = {},
): void {
  describe(`Broker conformance: ${driver}`, () => {
    let nodeA: Broker;
    let nodeB: Broker;
    beforeEach(async () => {
      [nodeA, nodeB] = await create();
    });
    afterEach(async () => {
      await nodeA.close();
      if (nodeB !== nodeA) await nodeB.close();
    });

    const event: BrokerEvent = { type: 'unsubscribed', registrationId: 'r1' };

    it('delivers an event published on one node to a subscriber on another', async () => {
      const received: BrokerEvent[] = [];
      await nodeA.subscribe('device-1', (e) => received.push(e));
      await nodeB.publish('device-1', event);
      await vi.waitFor(() => expect(received).toEqual([event]));
    });

    it('does not deliver to other owners, nor after unsubscribe', async () => {
      const other: BrokerEvent[] = [];
      const stop = await nodeA.subscribe('device-2', (e) => other.push(e));
      const mine: BrokerEvent[] = [];
      await nodeA.subscribe('device-1', (e) => mine.push(e));
      await nodeB.publish('device-1', event);
      await vi.waitFor(() => expect(mine).toHaveLength(1));
      await stop();
      await nodeB.publish('device-2', event);
      await nodeB.publish('device-1', event);
      await vi.waitFor(() => expect(mine).toHaveLength(2));
      expect(other).toEqual([]);
    });

    it(`offers publishSync ${options.synchronous ? '' : 'not '}as declared`, () => {
      expect(typeof nodeA.publishSync).toBe(options.synchronous ? 'function' : 'undefined');
    });

    if (options.synchronous) {
      it('publishSync has run every listener of the owner, and no other, when it returns', async () => {
        const mine: BrokerEvent[] = [];
        const alsoMine: BrokerEvent[] = [];
        const other: BrokerEvent[] = [];
        await nodeA.subscribe('device-1', (e) => mine.push(e));
        await nodeA.subscribe('device-1', (e) => alsoMine.push(e));
        await nodeA.subscribe('device-2', (e) => other.push(e));
        nodeB.publishSync?.('device-1', event);
        expect([mine, alsoMine, other]).toEqual([[event], [event], []]);
        nodeB.publishSync?.('nobody', event);
        expect(mine).toHaveLength(1);
      });

      it('publishSync delivers an event to the listeners subscribed when it began, and later ones only to those still subscribed', async () => {
        const first: BrokerEvent[] = [];
        const second: BrokerEvent[] = [];
        let stopSecond: (() => Promise<void>) | undefined;
        await nodeA.subscribe('device-1', (e) => {
          first.push(e);
          void stopSecond?.();
        });
        stopSecond = await nodeA.subscribe('device-1', (e) => second.push(e));
        nodeB.publishSync?.('device-1', event);
        await Promise.resolve();
        nodeB.publishSync?.('device-1', event);
        expect([first.length, second.length]).toEqual([2, 1]);
      });
    }
  });
}

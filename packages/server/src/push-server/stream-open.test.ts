import { type FosspushError, isFosspushError } from '@fosspush/core';
import { errorResponse } from '@fosspush/webpush/service';
import { describe, expect, it } from 'vitest';
import { openStreamTarget } from './stream-open.js';

/** Subscriptions that know one set and count their store reads. */
function knownSets(...sets: string[]) {
  const reads: string[] = [];
  return {
    reads,
    subscriptions: {
      setExists: async (setId: string) => {
        reads.push(setId);
        return sets.includes(setId);
      },
    },
  };
}

const refusal = async (opening: Promise<unknown>) => {
  const error = (await opening.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )) as FosspushError | undefined;
  return { error, status: error === undefined ? undefined : errorResponse(error).status };
};

describe('openStreamTarget', () => {
  it('reads the set once and hands the transport the cursor and parameters it read, per wire', async () => {
    const { reads, subscriptions } = knownSets('S1');
    const sse = await openStreamTarget(subscriptions, { url: '/set/S1/events?after=3&v=2&heartbeat=60000', headers: { 'last-event-id': '7' } }, 'S1', 'events');
    expect(sse).toEqual({ setSecret: 'S1', request: { afterSeq: 7, version: 2, heartbeatMs: 60_000 } });
    const ws = await openStreamTarget(subscriptions, { url: '/set/S1/ws?after=3', headers: { 'last-event-id': '7' } }, 'S1', 'ws');
    expect(ws).toEqual({ setSecret: 'S1', request: { afterSeq: 3, version: 1, heartbeatMs: undefined } });
    expect(reads).toEqual(['S1', 'S1']);
  });

  it('refuses a malformed cursor with INVALID_REQUEST, which the service answers 400, as before', async () => {
    const { subscriptions } = knownSets('S1');
    for (const [request, wire] of [
      [{ url: '/set/S1/ws?after=-3', headers: {} }, 'ws'],
      [{ url: '/set/S1/events', headers: { 'last-event-id': 'yesterday' } }, 'events'],
      [{ url: '/set/S1/events?v=2&heartbeat=soon', headers: {} }, 'events'],
    ] as const) {
      const { error, status } = await refusal(openStreamTarget(subscriptions, request, 'S1', wire));
      expect(isFosspushError(error, 'INVALID_REQUEST')).toBe(true);
      expect(status).toBe(400);
    }
  });

  it('refuses an unknown set with NOT_FOUND (404) before it reads the cursor, as before', async () => {
    const { reads, subscriptions } = knownSets('S1');
    const { error, status } = await refusal(openStreamTarget(subscriptions, { url: '/set/S2/ws?after=-3', headers: {} }, 'S2', 'ws'));
    expect(isFosspushError(error, 'NOT_FOUND')).toBe(true);
    expect(status).toBe(404);
    expect(reads).toEqual(['S2']);
  });
});

import { encodeToken, FosspushError, type FosspushErrorCode, type PushToken, type Timers, toBase64Url } from '@fosspush/core';
import type { OutgoingMessage } from '../src/outgoing.js';
import type { Transport } from '../src/transport/transport.js';

/** A syntactically valid Web Push token; the keys are never used by a fake transport. */
export function fakeToken(index: number, endpointBase = 'https://push.example/p/'): string {
  const p256dh = new Uint8Array(65).fill(index % 251);
  p256dh[0] = 0x04;
  return encodeToken({
    channel: 'webpush',
    endpoint: `${endpointBase}${index}`,
    p256dh: toBase64Url(p256dh),
    auth: toBase64Url(new Uint8Array(16).fill(7)),
    extras: {},
  });
}

export interface FakeCall {
  token: PushToken;
  message: OutgoingMessage;
}

/**
 * A transport that answers by script: `answer(call, attempt)` returns a message id, or an
 * error code (with an optional retry-after) that it throws as a FosspushError.
 */
export function fakeTransport(
  answer: (call: FakeCall, attempt: number) => string | { code: FosspushErrorCode; retryAfterMs?: number } = (call) =>
    `m-${call.token.endpoint.split('/').pop()}`,
): Transport & { calls: FakeCall[]; inFlight: number; maxInFlight: number } {
  const attempts = new Map<string, number>();
  const transport = {
    calls: [] as FakeCall[],
    inFlight: 0,
    maxInFlight: 0,
    async send(token: PushToken, message: OutgoingMessage) {
      transport.calls.push({ token, message });
      transport.inFlight++;
      transport.maxInFlight = Math.max(transport.maxInFlight, transport.inFlight);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        const attempt = attempts.get(token.endpoint) ?? 0;
        attempts.set(token.endpoint, attempt + 1);
        const result = answer({ token, message }, attempt);
        if (typeof result === 'string') return { messageId: result };
        throw new FosspushError(result.code, `scripted ${result.code}`, {
          details: { retryAfterMs: result.retryAfterMs },
        });
      } finally {
        transport.inFlight--;
      }
    },
  };
  return transport;
}

/** Timers that record each wait and run its callback at once (on the next microtask). */
export function recordingTimers(): Timers & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    setTimeout(callback, delayMs) {
      waits.push(delayMs);
      queueMicrotask(callback);
      return undefined;
    },
    clearTimeout() {},
  };
}

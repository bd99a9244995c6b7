import { type Channel, isFosspushError } from '@fosspush/core';
import type { DeviceStreamTransport } from '@fosspush/webpush/user-agent';

export interface FallbackTransport extends DeviceStreamTransport {
  /** Which transport the next stream will use. */
  readonly current: string;
}

/**
 * WebSocket first, Server-Sent Events when WebSocket does not get through (a proxy that
 * refuses upgrades, a network that cuts them). Once `maxFailures` WebSocket streams in a row
 * ended before their first frame, later streams use the fallback for the rest of the process.
 * Both transports speak to the same subscription set, so registrations and tokens stay.
 */
export function createFallbackTransport(primary: DeviceStreamTransport, fallback: DeviceStreamTransport, maxFailures = 3): FallbackTransport {
  let failures = 0;
  let switched = false;
  return {
    kind: `${primary.kind}+${fallback.kind}`,
    get current() {
      return switched ? fallback.kind : primary.kind;
    },
    open(request, events) {
      if (switched) return fallback.open(request, events);
      let sawFrame = false;
      return primary.open(request, {
        ...events,
        frame(text) {
          sawFrame = true;
          failures = 0;
          events.frame(text);
        },
        closed(error, retryAfterMs) {
          // NOT_FOUND means the server forgot the set: no transport would help.
          if (!sawFrame && !isFosspushError(error, 'NOT_FOUND') && ++failures >= maxFailures) switched = true;
          events.closed(error, retryAfterMs);
        },
      });
    },
  };
}

/** The channel, reporting the transport in use as its kind (`fosspushd status` shows it). */
export function reportingTransport(channel: Channel, transport: FallbackTransport): Channel {
  return {
    get kind() {
      return transport.current;
    },
    get state() {
      return channel.state;
    },
    on: channel.on,
    connect: () => channel.connect(),
    close: () => channel.close(),
    subscribe: (request) => channel.subscribe(request),
    unsubscribe: (registrationId) => channel.unsubscribe(registrationId),
    ack: (registrationId, messageId) => channel.ack(registrationId, messageId),
  };
}

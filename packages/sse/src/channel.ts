import { type Channel, FosspushError, resolveRuntime } from '@fosspush/core';
import {
  createDeviceStreamChannel,
  type DeviceStreamEvents,
  type DeviceStreamTransport,
  DEVICE_WIRE_VERSION,
  deviceStreamUrl,
  errorFromStreamRefusal,
  parseRetryAfterMs,
  type PushServerChannelOptions,
  refusalDetails,
} from '@fosspush/webpush/user-agent';
import { EventSource, type FetchLike } from 'eventsource';
import { streamFetch } from './stream-fetch.js';

type Refusal = { error: FosspushError; retryAfterMs: number | undefined };

/**
 * Wraps fetch so that the channel sees what EventSource hides: every chunk of bytes (comment
 * heartbeats included, which EventSource swallows) feeds the watchdog, and a refused stream's
 * status and Retry-After are kept.
 */
function observingFetch(fetchImpl: typeof fetch, events: DeviceStreamEvents, nowMs: () => number, refused: (refusal: Refusal) => void): FetchLike {
  return async (url, init) => {
    const response = await fetchImpl(url, init as RequestInit);
    if (response.status !== 200 || response.body === null) {
      const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), nowMs());
      const body = await response.text().catch(() => '');
      refused({ error: errorFromStreamRefusal(response.status, refusalDetails(body, retryAfterMs)), retryAfterMs });
      // The body is read; EventSource needs only the status to fail the connection.
      return new Response(null, { status: response.status, headers: response.headers });
    }
    const watched = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          events.alive();
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/**
 * Opens `<setUrl>/events?after=<seq>&v=2&heartbeat=<ms>` with EventSource: the device cannot
 * write on the stream, so it asks the server for comments at the cadence it has learned. The channel runs reconnects itself
 * (backoff with jitter, cursor in `?after=`), so EventSource's own fixed-delay retry is cut
 * short by closing it at its first error.
 */
export function createSseTransport(options: PushServerChannelOptions): DeviceStreamTransport {
  // The stream goes through `options.fetch` when one is given (tests, other platforms).
  const fetchImpl = options.fetch ?? (streamFetch as typeof fetch);
  const { clock } = resolveRuntime(options.runtime);
  return {
    kind: 'sse',
    open({ setUrl, afterSeq, heartbeatMs }, events) {
      let refusal: Refusal | undefined;
      let finished = false;
      const source = new EventSource(deviceStreamUrl(setUrl, 'events', afterSeq, { version: DEVICE_WIRE_VERSION, heartbeatMs }), {
        fetch: observingFetch(fetchImpl, events, () => clock.now(), (refused) => {
          refusal = refused;
        }),
      });
      source.onmessage = (event) => events.frame(String(event.data));
      source.onerror = (event) => {
        source.close();
        if (finished) return;
        finished = true;
        if (refusal) events.closed(refusal.error, refusal.retryAfterMs);
        else {
          const said = event.message ? `: ${event.message}` : '';
          events.closed(new FosspushError('UNAVAILABLE', `the device stream ended${said}`, { details: { connectionLost: true } }));
        }
      };
      return {
        // SSE is one-way: acks go as DELETE of the message resource.
        ack: () => Promise.resolve(false),
        close() {
          finished = true;
          source.close();
        },
      };
    },
  };
}

/**
 * A device channel to a fosspush push server over Server-Sent Events, for networks where
 * WebSocket does not pass: the same frames and resume semantics, acks over HTTP.
 *
 * @example
 * const channel = createSseChannel({ serverUrl: 'https://push.example.org/', state });
 * channel.on('message', ({ registrationId, message }) => store(registrationId, message));
 * await channel.connect();
 */
export function createSseChannel(options: PushServerChannelOptions): Channel {
  return createDeviceStreamChannel(options, createSseTransport(options));
}

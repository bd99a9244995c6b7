import { type Channel, FosspushError, resolveRuntime, withDefaults } from '@fosspush/core';
import {
  createDeviceStreamChannel,
  type DeviceStreamTransport,
  DEVICE_WIRE_VERSION,
  deviceStreamUrl,
  errorFromStreamRefusal,
  parseRetryAfterMs,
  type PushServerChannelOptions,
  refusalDetails,
} from '@fosspush/webpush/user-agent';
import { WebSocket } from 'ws';
import { createAckBatcher } from './ack-batcher.js';
import { errorFromCloseCode } from './close-codes.js';

export interface WebSocketChannelOptions extends PushServerChannelOptions {
  /** The largest frame the device accepts from the server; a message frame is under 6 KiB. @default 65_536 */
  maxFrameBytes?: number;
}

export const WEBSOCKET_CHANNEL_DEFAULTS = {
  maxFrameBytes: 64 * 1024,
} satisfies Partial<WebSocketChannelOptions>;

/**
 * Opens `<setUrl>/ws?after=<seq>&v=2` with the `ws` client; acks go over the socket, and the
 * channel's heartbeats are WebSocket pings, which the server answers with a pong.
 */
export function createWebSocketTransport(options: WebSocketChannelOptions): DeviceStreamTransport {
  const { maxFrameBytes } = withDefaults(WEBSOCKET_CHANNEL_DEFAULTS, options);
  const { clock } = resolveRuntime(options.runtime);
  return {
    kind: 'websocket',
    open({ setUrl, afterSeq }, events) {
      const url = deviceStreamUrl(setUrl, 'ws', afterSeq, { version: DEVICE_WIRE_VERSION });
      const socket = new WebSocket(url, { maxPayload: maxFrameBytes, perMessageDeflate: false });
      let finished = false;
      let refusal: { error: FosspushError; retryAfterMs: number | undefined } | undefined;
      let lastError: Error | undefined;

      socket.on('message', (data, isBinary) => {
        if (isBinary) events.problem(new FosspushError('PROTOCOL_ERROR', 'the push service sent a binary frame'));
        else events.frame(data.toString());
      });
      socket.on('ping', () => events.alive());
      socket.on('pong', () => events.alive());
      socket.on('unexpected-response', (_request, response) => {
        const retryAfterMs = parseRetryAfterMs(response.headers['retry-after'], clock.now());
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        // ws leaves a refused handshake to this listener: read the refusal, then end it.
        response.on('end', () => {
          refusal = { error: errorFromStreamRefusal(response.statusCode ?? 0, refusalDetails(body, retryAfterMs)), retryAfterMs };
          socket.terminate();
        });
        response.on('error', () => socket.terminate());
      });
      socket.on('error', (error) => {
        lastError = error;
      });
      socket.on('close', (code, reason) => {
        if (finished) return;
        finished = true;
        if (refusal) {
          events.closed(refusal.error, refusal.retryAfterMs);
        } else if (code === 1006) {
          // No close frame: the network (or a NAT or proxy timing the connection out) ended it.
          const said = lastError ? `: ${lastError.message}` : ' without a close frame';
          events.closed(new FosspushError('UNAVAILABLE', `the device stream failed${said}`, { cause: lastError, details: { closeCode: code, connectionLost: true } }));
        } else {
          events.closed(errorFromCloseCode(code, reason.toString()));
        }
      });

      const acks = createAckBatcher((frame, done) => {
        if (socket.readyState !== WebSocket.OPEN) return done(false);
        socket.send(frame, (error) => done(error === undefined || error === null));
      });
      return {
        ack(messageId) {
          if (socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
          return acks.ack(messageId);
        },
        allowAckBatches(maxIds) {
          acks.allow(maxIds);
        },
        ping() {
          if (socket.readyState === WebSocket.OPEN) socket.ping();
        },
        close() {
          finished = true;
          if (socket.readyState === WebSocket.OPEN) socket.close(1000);
          else socket.terminate();
        },
      };
    },
  };
}

/**
 * A device channel to a fosspush push server over WebSocket: one socket carries every
 * registration of the device, acks travel as frames, and the set, subscriptions and resume
 * cursor persist in `options.state`.
 *
 * @example
 * const channel = createWebSocketChannel({ serverUrl: 'https://push.example.org/', state });
 * channel.on('message', ({ registrationId, message }) => store(registrationId, message));
 * await channel.connect();
 * const { endpoint } = await channel.subscribe({});
 */
export function createWebSocketChannel(options: WebSocketChannelOptions): Channel {
  return createDeviceStreamChannel(options, createWebSocketTransport(options));
}

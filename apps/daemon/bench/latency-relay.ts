// The floor under any daemon, for the push server -> app latency case: a bare relay. The bench's
// bare WebSocket channel, in a process of its own, writes each message as one newline-terminated
// JSON frame (as fosspushd's IPC notification is) to the bench process over a Unix socket, and
// does nothing else: no store, no de-duplication, no decryption. Its latency over the bare
// channel's is what the process hop alone costs. The same socket answers `ping` frames with the
// time it read them, which times the Unix-socket hop between two Node processes with no
// WebSocket at all.
//
// Ready message: { id: 0, result: { subscriptions: [{ registrationId, endpoint }] } }; stopped by
// SIGTERM.
import { createServer, type Socket } from 'node:net';
import { createMemoryChannelState, toBase64Url } from '@fosspush/core';
import { FrameDecoder } from '@fosspush/ipc';
import { monotonicMs } from '@fosspush/testing';
import { createWebSocketChannel } from '@fosspush/websocket';

export interface LatencyRelaySettings {
  serverUrl: string;
  socketPath: string;
  subscriptions: number;
}

export interface RelaySubscription {
  registrationId: string;
  endpoint: string;
}

/** What the relay writes: a message as the channel gave it, or the answer to a ping. */
export type RelayFrame = { kind: 'message'; id: string; registrationId: string; payload: string; channelAt: number } | { kind: 'pong'; readAt: number };

const settings = JSON.parse(process.argv[2] ?? '{}') as LatencyRelaySettings;
const channel = createWebSocketChannel({ serverUrl: settings.serverUrl, state: createMemoryChannelState() });
let bench: Socket | undefined;
const send = (frame: RelayFrame) => bench?.write(`${JSON.stringify(frame)}\n`);

channel.on('message', ({ registrationId, message }) => {
  send({ kind: 'message', id: message.id, registrationId, payload: toBase64Url(message.payload), channelAt: monotonicMs() });
  void channel.ack(registrationId, message.id);
});
const server = createServer((socket) => {
  bench = socket;
  const decoder = new FrameDecoder(1024);
  socket.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) if (event.kind === 'frame') send({ kind: 'pong', readAt: monotonicMs() });
  });
});
await new Promise<void>((resolve) => server.listen(settings.socketPath, resolve));
await channel.connect();
const subscriptions: RelaySubscription[] = [];
for (let i = 0; i < settings.subscriptions; i++) {
  const { registrationId, endpoint } = await channel.subscribe({});
  subscriptions.push({ registrationId, endpoint });
}

process.on('SIGTERM', () => {
  bench?.destroy();
  server.close();
  void channel.close().then(() => process.exit(0));
});
process.send?.({ id: 0, result: { subscriptions } });

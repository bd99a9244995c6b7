/**
 * Runs inside a network namespace of its own (see pulled-cable.test.ts): a push service and a
 * device channel on the namespace's loopback, then a pulled cable (nftables drops every packet
 * of the stream's port, both ways), a message pushed meanwhile, and the cable back. Prints one
 * JSON line with what it saw.
 *
 * Usage: pulled-cable.scenario.ts websocket|sse
 */
import { execFileSync } from 'node:child_process';
import { createMemoryChannelState } from '@fosspush/core';
import { createSseChannel, createSseDeviceHandler } from '@fosspush/sse';
import { startDeviceWireRig } from '@fosspush/testing';
import { createWebSocketChannel, createWebSocketDeviceServer } from '../../src/index.js';

const wire = process.argv[2] === 'sse' ? 'sse' : 'websocket';
// A fixed, short heartbeat so the test takes seconds; the rules are those of the defaults.
const INTERVAL_MS = 1_500;
const ANSWER_TIMEOUT_MS = 500;

const nft = (...args: string[]) => execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const waitFor = async (condition: () => boolean, timeoutMs: number, what: string) => {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const rig = await startDeviceWireRig((hub) => {
  const options = { hub, heartbeatIntervalMs: INTERVAL_MS, maxHeartbeatMs: INTERVAL_MS, minHeartbeatMs: 100 };
  if (wire === 'sse') {
    const sse = createSseDeviceHandler(options);
    return { events: sse.handle, close: sse.close };
  }
  const ws = createWebSocketDeviceServer(options);
  return { upgrade: ws.handleUpgrade, close: ws.close };
});
const port = new URL(rig.url).port;
const channelOptions = {
  serverUrl: rig.url,
  state: createMemoryChannelState(),
  reconnect: { initialDelayMs: 100, maxDelayMs: 300, resetAfterMs: 10_000 },
  keepalive: { initialIntervalMs: INTERVAL_MS, minIntervalMs: INTERVAL_MS, maxIntervalMs: INTERVAL_MS, answerTimeoutMs: ANSWER_TIMEOUT_MS },
};
const channel = wire === 'sse' ? createSseChannel(channelOptions) : createWebSocketChannel(channelOptions);
const errors: Array<{ at: number; code: string; message: string }> = [];
const received: string[] = [];
channel.on('error', (error) => errors.push({ at: Date.now(), code: error.code, message: error.message }));
channel.on('message', ({ registrationId, message }) => {
  received.push(message.id);
  void channel.ack(registrationId, message.id);
});
const { registrationId } = await channel.subscribe({});
await channel.connect();
// A few heartbeats pass on a healthy cable first: none may end the stream.
await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS));
const errorsBeforeDrop = errors.length;

nft('add', 'table', 'inet', 'fosspush_cable');
nft('add', 'chain', 'inet', 'fosspush_cable', 'out', '{ type filter hook output priority 0 ; }');
nft('add', 'rule', 'inet', 'fosspush_cable', 'out', 'tcp', 'dport', port, 'drop');
nft('add', 'rule', 'inet', 'fosspush_cable', 'out', 'tcp', 'sport', port, 'drop');
const droppedAt = Date.now();
await waitFor(() => errors.some((e) => e.at >= droppedAt && e.code === 'TIMEOUT'), 10 * INTERVAL_MS, 'the dead stream to be noticed');
const detectedAfterMs = (errors.find((e) => e.at >= droppedAt && e.code === 'TIMEOUT')?.at ?? 0) - droppedAt;
const queued = await rig.push(registrationId);

nft('delete', 'table', 'inet', 'fosspush_cable');
const restoredAt = Date.now();
await waitFor(() => received.includes(queued.id), 20_000, 'the queued message after the cable is back');
const deliveredAfterMs = Date.now() - restoredAt;
console.log(
  JSON.stringify({ wire, intervalMs: INTERVAL_MS, answerTimeoutMs: ANSWER_TIMEOUT_MS, errorsBeforeDrop, detectedAfterMs, deliveredAfterMs, state: channel.state }),
);
await channel.close();
await rig.close();
process.exit(0);

import { type RedisRig, startRedis } from '@fosspush/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { countingDevice, post } from './device.js';
import { type CliProcess, startCli } from './rig.js';

let redis: RedisRig;
const nodes: CliProcess[] = [];
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
  await redis?.stop();
});

it('delivers a message posted to node B to a device connected to node A, over one redis-server', async () => {
  const [nodeA, nodeB] = await Promise.all([0, 1].map(() => startCli(['--listen', '127.0.0.1:0', '--redis', redis.url])));
  nodes.push(nodeA as CliProcess, nodeB as CliProcess);
  const device = countingDevice((nodeA as CliProcess).url);
  await device.channel.connect();
  const target = await device.subscribe();
  // The app server reaches the same push resource through node B (as a load balancer would).
  const viaB = { ...target, endpoint: new URL(new URL(target.endpoint).pathname, (nodeB as CliProcess).url).href };
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => post(viaB, `via-b-${i}`)));
  expect(ids.every(Boolean)).toBe(true);
  await vi.waitFor(() => expect(device.received.size).toBe(20), { timeout: 10_000 });
  expect(new Set(device.received.keys())).toEqual(new Set(ids));
  // Acks taken on node A remove the messages for node B as well.
  await vi.waitFor(async () => {
    const statuses = await Promise.all(ids.map(async (id) => (await fetch(`${(nodeB as CliProcess).url}/m/${id}`)).status));
    expect(statuses.every((status) => status === 404)).toBe(true);
  });
  await device.channel.close();
}, 60_000);

import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { createMemoryChannelState } from '@fosspush/core';
import { type MailRig, startMailRig } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppServer, channelOptions, count, inspector, openChannel, SERVERS, sleep } from './helpers.js';

const WAIT = { timeout: 30_000, interval: 100 };

/**
 * A TCP relay to the IMAP server whose open connections can be turned into black holes: bytes
 * are swallowed in both directions and nothing is closed, which is what a NAT that forgot the
 * connection or a dead Wi-Fi looks like from the client. New connections pass normally.
 */
async function startBlackholeProxy(targetPort: number) {
  const open = new Set<{ client: Socket; server: Socket; dead: boolean }>();
  const proxy = createServer((client) => {
    const pair = { client, server: connect(targetPort, '127.0.0.1'), dead: false };
    open.add(pair);
    client.on('data', (chunk) => pair.dead || pair.server.write(chunk));
    pair.server.on('data', (chunk) => pair.dead || client.write(chunk));
    const end = () => {
      open.delete(pair);
      client.destroy();
      pair.server.destroy();
    };
    client.on('close', end).on('error', end);
    pair.server.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    blackhole() {
      for (const pair of open) pair.dead = true;
    },
    async [Symbol.asyncDispose]() {
      for (const pair of open) {
        pair.client.destroy();
        pair.server.destroy();
      }
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

// Outages hit every mailbox of a rig, so this file runs rigs of its own, one per server.
describe.each(SERVERS)('email channel through outages on %s', (server) => {
  let rig: MailRig;
  let app: AppServer;

  beforeAll(async () => {
    rig = await startMailRig({ server, users: ['restart', { name: 'restart-plain', sieve: false }, 'half-dead'] });
    app = await AppServer.create(rig.info);
  });

  afterAll(async () => {
    await app?.close();
    await rig?.stop();
  });

  it.each(['restart', 'restart-plain'])(`${server} restarted mid-stream (%s): reconnects, catches up, loses and repeats nothing`, async (user) => {
    const open = await openChannel(channelOptions(rig.info, user, { state: createMemoryChannelState() }));
    try {
      const registration = await app.register(await open.channel.subscribe({}));
      await app.notify(registration, { hello: true });
      await vi.waitFor(() => expect(open.messages).toHaveLength(1), WAIT);

      const sent: string[] = [];
      const stream = (async () => {
        for (let i = 0; i < 30; i++) {
          sent.push((await app.notify(registration, { text: `stream ${i}` })).id);
          await sleep(50);
        }
      })();
      await vi.waitFor(() => expect(sent.length).toBeGreaterThanOrEqual(10), WAIT);
      await rig.stopImap();
      await sleep(1_000);
      await rig.startImap();
      await stream;

      await vi.waitFor(() => expect(open.messages.length).toBeGreaterThanOrEqual(31), WAIT);
      const received = open.messages.slice(1).map((event) => event.message.id);
      expect(received.sort()).toEqual([...sent].sort());
      expect(open.states).toContain('reconnecting');
      // A server still starting up can drop the first session after the catch-up (Cyrus was
      // seen to): the channel ends connected again.
      await vi.waitFor(() => expect(open.channel.state).toBe('connected'), WAIT);
      expect(open.errors.map((error) => error.code)).toContain('UNAVAILABLE');
      // An outage can make a second copy of a mail: Dovecot killed after storing a delivery but
      // before its 250 (Postfix delivers again), or between the copy and the expunge of a MOVE.
      // A copy is rejected as REPLAYED, so the registration still gets each message once.
      expect(open.errors.filter((error) => !['UNAVAILABLE', 'TIMEOUT', 'REPLAYED'].includes(error.code)).map((error) => `${error.code}: ${error.message}`)).toEqual([]);

      const client = await inspector(rig.info, user);
      try {
        await vi.waitFor(async () => expect(await count(client, rig.info.folder)).toBe(0), WAIT);
        expect(await count(client, 'INBOX')).toBe(0);
      } finally {
        await client.logout();
      }
      await sleep(500);
      expect(open.messages).toHaveLength(31);
    } finally {
      await open.close();
    }
  });

  it('a half-dead connection (the network silently drops everything) is found by the watchdog and replaced', async () => {
    await using proxy = await startBlackholeProxy(rig.info.ports.imap);
    const options = channelOptions(rig.info, 'half-dead', { state: createMemoryChannelState(), watchdogIntervalMs: 300, commandTimeoutMs: 1_000 });
    const open = await openChannel({ ...options, imap: { ...options.imap, port: proxy.port } });
    try {
      const registration = await app.register(await open.channel.subscribe({}));
      proxy.blackhole();
      const hello = await app.notify(registration, { hello: true });
      await vi.waitFor(() => expect(open.messages.map((event) => event.message.id)).toEqual([hello.id]), WAIT);
      expect(open.errors.map((error) => error.code)).toContain('TIMEOUT');
      expect(open.channel.state).toBe('connected');
    } finally {
      await open.close();
    }
  });
});

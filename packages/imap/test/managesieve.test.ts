import { createMemoryChannelState } from '@fosspush/core';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isLoopbackAddress } from '../src/managesieve/client.js';
import { installSieveRule, ManageSieveClient, sieveRule } from '../src/index.js';
import { AppServer, channelOptions, count, inspector, openChannel, rigControl, rigInfo, rigUser, sendRegularMail } from './helpers.js';

const WAIT = { timeout: 20_000, interval: 50 };

// The rule exactly as the Email-notify spec (docs/email-notify-spec.md section 8.1) gives it.
const SPEC_RULE = `require ["fileinto", "mailbox"];
if exists "Fosspush-Notify" {
  fileinto :create "Fosspush";
  stop;
}
`;

const USERS_OWN_SCRIPT = `require ["fileinto", "mailbox"];
if header :contains "subject" "[list]" { fileinto :create "Lists"; }
`;

describe('installSieveRule over ManageSieve', () => {
  const info = rigInfo();
  const connect = (name: string) => {
    const user = rigUser(info, name);
    return { host: info.host, port: info.ports.sieve, user: user.name, password: user.password };
  };
  let app: AppServer;
  const clients: ImapFlow[] = [];

  beforeAll(async () => {
    app = await AppServer.create(info);
  });
  afterAll(async () => {
    await app.close();
    for (const client of clients) await client.logout();
  });

  /** Sends a notification and a regular mail; resolves once both are filed, to where they went. */
  async function fileOne(name: string, subject: string) {
    const client = await inspector(info, name);
    clients.push(client);
    // The channel makes the registration and pins the sender; watchInbox off proves the server files.
    const open = await openChannel(channelOptions(info, name, { state: createMemoryChannelState(), watchInbox: false }), { ack: false });
    try {
      const registration = await app.register(await open.channel.subscribe({}));
      const hello = await app.notify(registration, { hello: true });
      await sendRegularMail(info, rigUser(info, name).address, 'text', subject);
      await vi.waitFor(() => expect(open.messages.map((event) => event.message.id)).toEqual([hello.id]), WAIT);
    } finally {
      await open.close();
    }
    return client;
  }

  it('writes the rule of the spec', () => {
    expect(sieveRule()).toBe(SPEC_RULE);
  });

  it('installs the rule as the active script where the user has none, and the server then files notifications', async () => {
    await rigControl(info).clear('msieve-fresh');
    expect(await installSieveRule(connect('msieve-fresh'))).toEqual({ status: 'installed', activeScript: 'fosspush', ruleScript: 'fosspush' });
    // Again: nothing changes.
    expect(await installSieveRule(connect('msieve-fresh'))).toMatchObject({ status: 'installed', activeScript: 'fosspush' });

    const client = await fileOne('msieve-fresh', 'lunch');
    expect(await count(client, 'Fosspush')).toBe(1);
    await vi.waitFor(async () => expect(await count(client, 'INBOX')).toBe(1), WAIT);
  });

  it("never replaces the user's active script: it includes the rule and then the user's script", async () => {
    await rigControl(info).clear('msieve-own');
    const own = connect('msieve-own');
    const sieve = await ManageSieveClient.connect(own);
    await sieve.authenticate(own.user, own.password);
    await sieve.putScript('roundcube', USERS_OWN_SCRIPT);
    await sieve.setActive('roundcube');
    await sieve.logout();

    const result = await installSieveRule(own);
    expect(result).toEqual({ status: 'installed', activeScript: 'fosspush-and-roundcube', ruleScript: 'fosspush', includedScript: 'roundcube' });
    expect(await installSieveRule(own)).toEqual({ status: 'installed', activeScript: 'fosspush-and-roundcube', ruleScript: 'fosspush', includedScript: 'roundcube' });

    const check = await ManageSieveClient.connect(own);
    await check.authenticate(own.user, own.password);
    expect(await check.getScript('roundcube')).toBe(USERS_OWN_SCRIPT);
    expect(await check.getScript('fosspush')).toBe(SPEC_RULE);
    expect((await check.listScripts()).filter((script) => script.active).map((script) => script.name)).toEqual(['fosspush-and-roundcube']);
    await check.logout();

    // Both rules run: notifications to Fosspush, the user's list mail to Lists.
    const client = await fileOne('msieve-own', '[list] weekly digest');
    expect(await count(client, 'Fosspush')).toBe(1);
    await vi.waitFor(async () => expect(await count(client, 'Lists')).toBe(1), WAIT);
    expect(await count(client, 'INBOX')).toBe(0);
  });

  it('says how to do it by hand where there is no ManageSieve', async () => {
    const result = await installSieveRule({ ...connect('msieve-fresh'), port: 1 });
    expect(result).toMatchObject({ status: 'manual', sieve: SPEC_RULE });
    expect(result.status === 'manual' && result.instructions).toContain(SPEC_RULE);
  });

  it('reports a wrong password as UNAUTHENTICATED', async () => {
    await expect(installSieveRule({ ...connect('msieve-fresh'), password: 'wrong' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  // The refusal itself is decided by the remote address; tests never open connections to
  // anything but loopback, so the decision is checked on addresses alone.
  it('treats only loopback addresses as this machine, where a password may go in the clear', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of ['192.0.2.2', '10.0.0.1', '::ffff:192.0.2.2', 'fe80::1', '']) expect(isLoopbackAddress(address), address).toBe(false);
  });
});

describe('installSieveRule on Cyrus (traditional namespace)', () => {
  const info = rigInfo('cyrus');

  it("files into the folder as the server names it (INBOX.Fosspush), which the channel reports: a bare 'Fosspush' would leave notifications in INBOX", async () => {
    const user = rigUser(info, 'msieve-fresh');
    await rigControl(info).clear(user.name);
    const app = await AppServer.create(info);
    const client = await inspector(info, user.name);
    // watchInbox off: only the server's rule can bring a notification to the channel.
    const open = await openChannel(channelOptions(info, user.name, { state: createMemoryChannelState(), watchInbox: false }), { ack: false });
    try {
      const folder = open.channel.folders?.notify;
      expect(folder).toBe('INBOX.Fosspush');
      const connect = { host: info.host, port: info.ports.sieve, user: user.name, password: user.password };
      expect(await installSieveRule({ ...connect, folder })).toMatchObject({ status: 'installed', activeScript: 'fosspush' });
      const registration = await app.register(await open.channel.subscribe({}));
      const hello = await app.notify(registration, { hello: true });
      await vi.waitFor(() => expect(open.messages.map((event) => event.message.id)).toEqual([hello.id]), WAIT);
      expect(await count(client, 'INBOX')).toBe(0);
    } finally {
      await open.close();
      await app.close();
      await client.logout();
    }
  });
});

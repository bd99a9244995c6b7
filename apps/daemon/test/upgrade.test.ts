import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFosspushError } from '@fosspush/core';
import { createDaemon, type Daemon } from '@fosspush/daemon';
import { connectIpc } from '@fosspush/ipc';
import { createFakeChannel, type FakeChannel, publicKeys } from '@fosspush/testing';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * Rewrites the database as a daemon before store records left it: every record a registration
 * owned by `~<namespace>`, id `~<namespace>/<key>`, data `{"value": <text>}`, schema version 1.
 */
function rewriteAsVersion1(path: string): void {
  const db = new Database(path);
  db.exec(`
    INSERT INTO registrations (id, owner, created_at, expires_at, data)
      SELECT '~' || namespace || '/' || id, '~' || namespace, 0, expires_at, json_object('value', json_extract(value, '$')) FROM records;
    DROP TABLE records;
    PRAGMA user_version = 1;
  `);
  db.close();
}

describe('fosspushd upgraded from the version that kept its records as registrations under ~ owners', () => {
  let dir: string;
  let daemon: Daemon | undefined;
  let channel: FakeChannel | undefined;

  const start = async () => {
    daemon = createDaemon({
      dataDir: join(dir, 'data'),
      socketPath: join(dir, 'daemon.sock'),
      accounts: [{ id: 'home', type: 'push-server', url: 'https://push.example' }],
      createChannel: (_, { state }) => {
        channel = createFakeChannel(state);
        return channel;
      },
    });
    await daemon.start();
    return connectIpc({ socketPath: daemon.socketPath });
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpd-upgrade-'));
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the app's credential, its token and the channel's state", async () => {
    const keys = await publicKeys();
    const before = await start();
    const first = await before.call('register', { appId: 'org.example.chat', instance: 'gcm', keys });
    before.close();
    await daemon?.stop();
    daemon = undefined;
    rewriteAsVersion1(join(dir, 'data', 'fosspushd.db'));

    const after = await start();
    const again = await after.call('register', { appId: 'org.example.chat', instance: 'gcm', keys, credential: first.credential as string });
    expect(again).toMatchObject({ created: false, registration: { token: first.registration.token } });
    expect(again.credential).toBeUndefined();
    // The credential record came along: another secret for the same app id is refused.
    await expect(
      after.call('register', { appId: 'org.example.chat', instance: 'other', keys, credential: 'A'.repeat(43) }),
    ).rejects.toSatisfy((e) => isFosspushError(e, 'PERMISSION_DENIED'));
    // So did the channel's state: the subscription was resumed under its id (the fake channel
    // refuses an id it has no state for), and the counter goes on from where it was.
    await after.call('register', { appId: 'org.example.mail', instance: 'gcm', keys });
    expect([...(channel?.subscribed.keys() ?? [])]).toEqual(['sub1', 'sub2']);
    after.close();
  });
});

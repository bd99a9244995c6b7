import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFosspushError } from '@fosspush/core';
import { connectIpc } from '@fosspush/ipc';
import { createFakeChannel, publicKeys } from '@fosspush/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../src/index.js';

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

describe('the data folder and database are private whatever was on disk and whatever the umask', () => {
  let dir: string;
  let daemon: Daemon | undefined;
  let umask: number;

  const create = (dataDir: string) =>
    createDaemon({
      dataDir,
      socketPath: join(dir, 'daemon.sock'),
      accounts: [{ id: 'home', type: 'push-server', url: 'https://push.example' }],
      createChannel: (_, { state }) => createFakeChannel(state),
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpd-files-'));
    umask = process.umask(0o000);
  });
  afterEach(async () => {
    process.umask(umask);
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('tightens an existing 0755 folder and makes fosspushd.db, -wal and -shm 0600 under umask 000', async () => {
    const data = join(dir, 'data');
    await mkdir(data);
    await chmod(data, 0o755);
    // Left by an earlier version that let SQLite pick the modes.
    await writeFile(join(data, 'fosspushd.db'), '', { mode: 0o644 });
    await chmod(join(data, 'fosspushd.db'), 0o644);
    daemon = create(data);
    await daemon.start();
    const ipc = await connectIpc({ socketPath: daemon.socketPath });
    await ipc.call('register', { appId: 'org.example.a', instance: 'gcm', keys: await publicKeys() });
    ipc.close();

    expect(await modeOf(data)).toBe(0o700);
    for (const name of ['fosspushd.db', 'fosspushd.db-wal', 'fosspushd.db-shm']) {
      expect({ name, mode: (await modeOf(join(data, name))).toString(8) }).toEqual({ name, mode: '600' });
    }
  });

  it('creates a fresh database 0600 under umask 000', async () => {
    daemon = create(join(dir, 'fresh'));
    await daemon.start();
    for (const name of ['fosspushd.db', 'fosspushd.db-wal', 'fosspushd.db-shm']) {
      expect({ name, mode: (await modeOf(join(dir, 'fresh', name))).toString(8) }).toEqual({ name, mode: '600' });
    }
  });

  it('refuses a data folder another user owns (INSECURE_PATH) and touches nothing in it', async () => {
    const data = join(dir, 'theirs');
    await mkdir(data, { mode: 0o755 });
    await chown(data, 5001, 5001);
    const refused = create(data);
    await expect(refused.start()).rejects.toSatisfy((e) => isFosspushError(e, 'INSECURE_PATH'));
    await expect(stat(join(data, 'fosspushd.db'))).rejects.toThrow(/ENOENT/);
    expect(await modeOf(data)).toBe(0o755);
  });
});

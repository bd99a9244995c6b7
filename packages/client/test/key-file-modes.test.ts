import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleCloudMessaging, InstanceID } from '../src/index.js';
import { type ScriptedDaemon, startScriptedDaemon } from './scripted-daemon.js';

const modeOf = async (path: string) => ((await stat(path)).mode & 0o7777).toString(8);

describe('app key files stay private whatever the umask and whatever was on disk', () => {
  let dir: string;
  let daemon: ScriptedDaemon;
  let umask: number;
  let dataHome: string | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpc-modes-'));
    daemon = await startScriptedDaemon(join(dir, 'daemon.sock'));
    umask = process.umask(0o000);
    dataHome = process.env['XDG_DATA_HOME'];
    process.env['XDG_DATA_HOME'] = join(dir, 'share');
  });
  afterEach(async () => {
    process.umask(umask);
    if (dataHome === undefined) delete process.env['XDG_DATA_HOME'];
    else process.env['XDG_DATA_HOME'] = dataHome;
    await daemon.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('tightens a key file left 0644 as soon as it is read, and the default folder left 0755 on the next write', async () => {
    const appId = 'org.example.modes';
    const folder = join(dir, 'share', 'fosspush', 'apps');
    const keyFile = join(folder, `${appId}.json`);
    await mkdir(folder, { recursive: true });
    await chmod(folder, 0o755);
    const earlier = { version: 1, appId, instanceId: 'i1', instanceCreatedAt: 1, registrations: {} };
    await writeFile(keyFile, JSON.stringify(earlier), { mode: 0o644 });

    const options = { appId, socketPath: join(dir, 'daemon.sock') };
    expect(await InstanceID.getInstance(options).getId()).toBe('i1');
    expect(await modeOf(keyFile)).toBe('600');

    const gcm = GoogleCloudMessaging.getInstance(options);
    await gcm.register('1234');
    await gcm.close();
    expect(await modeOf(folder)).toBe('700');
    expect(await modeOf(keyFile)).toBe('600');
  });

  it('creates a new key file 0600 and its folder 0700 under umask 000', async () => {
    const appId = 'org.example.fresh';
    const gcm = GoogleCloudMessaging.getInstance({ appId, socketPath: join(dir, 'daemon.sock') });
    await gcm.register('1234');
    await gcm.close();
    expect(await modeOf(join(dir, 'share', 'fosspush', 'apps'))).toBe('700');
    expect(await modeOf(join(dir, 'share', 'fosspush', 'apps', `${appId}.json`))).toBe('600');
  });
});

import { chmod, chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FosspushError, isFosspushError } from '@fosspush/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectIpc, createIpcServer, type IpcHandlers } from '../src/index.js';

/** A uid no account on the machine has: "another local user". Changing owners needs root, as CI runs. */
const OTHER_UID = 5001;

const refuse = () => {
  throw new FosspushError('UNAVAILABLE', 'not in this test');
};
const handlers: IpcHandlers = {
  register: refuse,
  unregister: refuse,
  registrations: () => ({ registrations: [] }),
  messages: refuse,
  ack: refuse,
  observe: refuse,
  status: refuse,
};

const insecure = (error: unknown) => isFosspushError(error, 'INSECURE_PATH');

/** A socket that records every byte it gets: a look-alike daemon set up by another user. */
async function lookAlike(path: string): Promise<{ server: Server; received: () => string; connections: () => number }> {
  let received = '';
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { server, received: () => received, connections: () => connections };
}

describe('the socket folder and socket must be this user\'s', () => {
  let dir: string;
  const servers: Server[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fp-own-'));
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('the daemon refuses a sticky shared folder another user made, and creates no socket there', async () => {
    const shared = join(dir, 'fosspush-1000');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    await chown(shared, OTHER_UID, OTHER_UID);
    const server = createIpcServer(handlers, { socketPath: join(shared, 'daemon.sock') });
    await expect(server.listen()).rejects.toSatisfy(insecure);
    await expect(server.listen()).rejects.toThrow(/belongs to uid 5001/);
    await expect(stat(join(shared, 'daemon.sock'))).rejects.toThrow(/ENOENT/);
  });

  it('the daemon refuses a folder of its own that others can enter, and says how to fix it', async () => {
    const loose = join(dir, 'loose');
    await mkdir(loose);
    await chmod(loose, 0o755);
    await expect(createIpcServer(handlers, { socketPath: join(loose, 'daemon.sock') }).listen()).rejects.toThrow(/mode 0755.*chmod 700/);
  });

  it('the daemon accepts a sticky folder root owns, like /tmp itself', async () => {
    const shared = join(dir, 'tmp');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    await chown(shared, 0, 0);
    const server = createIpcServer(handlers, { socketPath: join(shared, 'daemon.sock') });
    await server.listen();
    const client = await connectIpc({ socketPath: server.socketPath });
    expect(await client.call('registrations', { appId: 'org.example.a', credential: 'c' })).toEqual({ registrations: [] });
    client.close();
    await server.close();
  });

  it('the client refuses a socket in a folder another user owns before it sends anything', async () => {
    const shared = join(dir, 'fosspush-1000');
    await mkdir(shared, { mode: 0o700 });
    const fake = await lookAlike(join(shared, 'daemon.sock'));
    servers.push(fake.server);
    await chmod(shared, 0o1777);
    await chown(shared, OTHER_UID, OTHER_UID);
    await expect(connectIpc({ socketPath: join(shared, 'daemon.sock') })).rejects.toSatisfy(insecure);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.connections()).toBe(0);
    expect(fake.received()).toBe('');
  });

  it('the client refuses a socket another user owns, even in a root-owned sticky folder', async () => {
    const shared = join(dir, 'tmp');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const path = join(shared, 'daemon.sock');
    const fake = await lookAlike(path);
    servers.push(fake.server);
    await chown(path, OTHER_UID, OTHER_UID);
    await expect(connectIpc({ socketPath: path })).rejects.toThrow(/belongs to uid 5001/);
    expect(fake.connections()).toBe(0);
  });
});

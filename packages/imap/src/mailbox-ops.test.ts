import { isFosspushError } from '@fosspush/core';
import type { ImapFlow, ListResponse } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { isPermanentImapError } from './channel.js';
import { ensureFolders, uidSet } from './mailbox-ops.js';

describe('uidSet', () => {
  it('compresses runs into ranges, in order, without duplicates', () => {
    expect(uidSet([9, 1, 2, 3, 7, 10, 3])).toBe('1:3,7,9:10');
    expect(uidSet([42])).toBe('42');
    expect(uidSet([])).toBe('');
  });
});

/** imapflow's "Command failed" for a tagged NO, as it attaches the server's answer. */
const commandFailed = (text: string, code?: string) =>
  Object.assign(new Error('Command failed'), { responseStatus: 'NO', responseText: text, serverResponseCode: code });

/**
 * The two calls ensureFolders makes, answering like a server with the traditional Cyrus
 * namespace (`INBOX.` prefix, `.` separator): CREATE of an existing folder is a NO without
 * [ALREADYEXISTS], and `create` can be told to refuse or to let another writer win a race.
 */
function fakeServer(existing: string[], create: (name: string, folders: Set<string>) => void = (name, folders) => void folders.add(name)) {
  const folders = new Set(existing);
  const log: string[] = [];
  const client = {
    namespace: { prefix: 'INBOX.', delimiter: '.' },
    async list() {
      log.push('LIST');
      return [...folders].map((path) => ({ path, flags: new Set<string>(), ...(path === 'INBOX.Trash' ? { specialUse: '\\Trash' } : {}) }) as unknown as ListResponse);
    },
    async mailboxCreate(name: string) {
      log.push(`CREATE ${name}`);
      if (folders.has(name)) throw commandFailed('Mailbox already exists');
      create(name, folders);
      return { path: name, created: true };
    },
  };
  return { client: client as unknown as ImapFlow, folders, log };
}

describe('ensureFolders', () => {
  it('looks first and creates only what is missing, under the personal namespace', async () => {
    const server = fakeServer(['INBOX', 'INBOX.Fosspush']);
    expect(await ensureFolders(server.client, ['Fosspush', ['Fosspush', 'Quarantine']])).toEqual(['INBOX.Fosspush', 'INBOX.Fosspush.Quarantine']);
    expect(server.log).toEqual(['LIST', 'CREATE INBOX.Fosspush.Quarantine']);
    // A second session (a reconnect) finds both and sends no CREATE at all.
    server.log.length = 0;
    expect(await ensureFolders(server.client, ['Fosspush', ['Fosspush', 'Quarantine']])).toEqual(['INBOX.Fosspush', 'INBOX.Fosspush.Quarantine']);
    expect(server.log).toEqual(['LIST']);
  });

  it('takes a failed CREATE for success when a second LIST finds the folder (made meanwhile by Sieve)', async () => {
    const server = fakeServer(['INBOX'], (name, folders) => {
      folders.add(name);
      throw commandFailed('Mailbox already exists');
    });
    expect(await ensureFolders(server.client, ['Fosspush'])).toEqual(['INBOX.Fosspush']);
    expect(server.log).toEqual(['LIST', 'CREATE INBOX.Fosspush', 'LIST']);
  });

  it('reports a CREATE the server refuses as permanent, naming the command, the folder and the server text', async () => {
    const server = fakeServer(['INBOX'], () => {
      throw commandFailed('Over quota', 'OVERQUOTA');
    });
    const error = await ensureFolders(server.client, ['Fosspush']).catch((e: unknown) => e);
    expect(isFosspushError(error, 'PERMISSION_DENIED')).toBe(true);
    expect(error).toMatchObject({
      message: expect.stringContaining('"INBOX.Fosspush"'),
      details: { command: 'CREATE', folder: 'INBOX.Fosspush', serverStatus: 'NO', serverText: 'Over quota', serverCode: 'OVERQUOTA', permanent: true },
    });
    expect((error as Error).message).toContain('Over quota');
    expect(isPermanentImapError(error as never)).toBe(true);
  });

  it('keeps connection trouble during CREATE transient', async () => {
    const server = fakeServer(['INBOX'], () => {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    });
    const error = await ensureFolders(server.client, ['Fosspush']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', details: { command: 'CREATE', folder: 'INBOX.Fosspush', imapCode: 'ECONNRESET' } });
    expect(isPermanentImapError(error as never)).toBe(false);
  });

  it('refuses INBOX or a special-use folder as the notification folder: it would treat the user mail there as its own', async () => {
    for (const folder of ['INBOX', 'Trash']) {
      const server = fakeServer(['INBOX', 'INBOX.Trash']);
      const error = await ensureFolders(server.client, [folder]).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', details: { permanent: true } });
      expect(server.log).toEqual(['LIST']);
    }
  });
});

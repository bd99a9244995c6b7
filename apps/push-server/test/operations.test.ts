import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { exitOf, spawnCli, startCli } from './rig.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI to its exit: the exit code and what it printed. */
async function runToExit(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const { child, output } = spawnCli(args);
  const code = await exitOf(child);
  return { code, ...output };
}

describe('--admin-listen', () => {
  it('serves /healthz and /metrics on the operator address only; the public listener answers 404 there', async () => {
    const { child, output } = spawnCli(['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--memory']);
    try {
      const operatorUrl = await vi.waitFor(
        () => {
          const match = /operator endpoints on (http:\/\/\S+)/.exec(output.stdout);
          if (!match?.[1]) throw new Error(`not ready: ${output.stderr}`);
          return match[1];
        },
        { timeout: 30_000, interval: 50 },
      );
      const publicUrl = /listening on (http:\/\/\S+)/.exec(output.stdout)?.[1] as string;
      expect(new URL(operatorUrl).port).not.toBe(new URL(publicUrl).port);

      for (const path of ['/healthz', '/metrics']) {
        const refused = await fetch(`${publicUrl}${path}`);
        expect(refused.status).toBe(404);
        expect(await refused.json()).toMatchObject({ code: 'NOT_FOUND' });
      }
      expect(await (await fetch(`${operatorUrl}/healthz`)).json()).toEqual({ status: 'ok' });
      const metrics = await fetch(`${operatorUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^fosspush_device_connections 0$/m);
      // The operator listener is not a second public API.
      expect((await fetch(`${operatorUrl}/subscribe`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${publicUrl}/subscribe`, { method: 'POST' })).status).toBe(201);
    } finally {
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
    }
  }, 60_000);

  it('still serves them on the public listener without the flag', async () => {
    const server = await startCli(['--listen', '127.0.0.1:0', '--memory']);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  }, 60_000);
});

describe('fosspush-server backup', () => {
  it('copies the database of a running server into a 0600 file that another server opens with every set', async () => {
    const db = join(dir, 'live.db');
    const server = await startCli(['--listen', '127.0.0.1:0', '--db', db]);
    const sets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${server.url}/subscribe`, { method: 'POST' });
      sets.push(((await response.json()) as { set: string }).set);
    }
    const target = join(dir, 'live.bak');
    const backup = await runToExit(['backup', '--db', db, target]);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/backed up .*live\.db to .*live\.bak \(\d+ pages, schema version \d+\)/);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(await server.stop()).toBe(0);

    const restored = await startCli(['--listen', '127.0.0.1:0', '--db', target]);
    for (const set of sets) {
      const link = `<${set}>; rel="urn:ietf:params:push:set"`;
      expect((await fetch(`${restored.url}/subscribe`, { method: 'POST', headers: { link } })).status).toBe(201);
    }
    expect(await restored.stop()).toBe(0);
  }, 60_000);

  it('exits 73 when there is no database to copy, and 64 without a target', async () => {
    const missing = await runToExit(['backup', '--db', join(dir, 'missing.db'), join(dir, 'x.bak')]);
    expect(missing.code).toBe(73);
    expect(missing.stderr).toMatch(/backup failed: cannot open the database/);
    expect((await runToExit(['backup'])).code).toBe(64);
  }, 30_000);
});

describe('a database written by a newer version', () => {
  it('is refused with exit 65 and a message that says what to do, and is left as it was', async () => {
    const db = join(dir, 'newer.db');
    const raw = new Database(db);
    raw.pragma('user_version = 99');
    raw.close();
    const run = await runToExit(['--listen', '127.0.0.1:0', '--db', db]);
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/schema version 99, written by a newer fosspush.*Upgrade fosspush, or restore the backup/);
    const after = new Database(db, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(99);
    after.close();
  }, 30_000);
});

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type CheckpointResult, startWalCheckpointer } from './wal-checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-checkpointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function walDatabase(): { db: Database.Database; path: string } {
  const path = join(dir, `wal-${files++}.db`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE rows (body BLOB)');
  return { db, path };
}

describe('WAL checkpointer', () => {
  it('moves committed pages into the database from its own thread, never from the writer', async () => {
    const { db, path } = walDatabase();
    const checkpointer = startWalCheckpointer(db, path, { commitsPerCheckpoint: 10, busyTimeoutMs: 1000 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(path).size;
    const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
    for (let i = 0; i < 10; i++) {
      insert.run(Buffer.alloc(8192, i));
      checkpointer.committed();
    }
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before + 10 * 8192));
    await checkpointer.close();
    expect(db.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(10);
    db.close();
  });

  it('keeps the WAL bounded under steady writes', async () => {
    const { db, path } = walDatabase();
    const results: CheckpointResult[] = [];
    const checkpointer = startWalCheckpointer(db, path, {
      commitsPerCheckpoint: 20,
      restartWalFrames: 100,
      busyTimeoutMs: 1000,
      onCheckpoint: (result) => results.push(result),
    });
    const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
    // Writes go on while the thread checkpoints, so no checkpoint catches up with the writer
    // and SQLite alone would never rewind the WAL: every commit adds two or more frames.
    let commits = 0;
    while (results.length < 40) {
      insert.run(Buffer.alloc(6000, commits++));
      checkpointer.committed();
      await nextTurn();
    }
    // Unbounded, it passes 10,000 frames by the 40th checkpoint. Bounded, it stays near 100
    // plus what is written during one round trip to the thread. The first checkpoint waits for
    // the thread to start, and finds what was written meanwhile.
    const steady = results.slice(1).map((result) => result.log);
    expect(Math.max(...steady)).toBeLessThan(2000);
    await checkpointer.close();
    expect(db.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(commits);
    db.close();
  });

  it('gives checkpoints back to SQLite when its thread cannot open the database', async () => {
    const { db } = walDatabase();
    const checkpointer = startWalCheckpointer(db, join(dir, 'missing-folder', 'x.db'), { commitsPerCheckpoint: 1, busyTimeoutMs: 1000 });
    checkpointer.committed();
    await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000));
    await checkpointer.close();
    db.close();
  });
});

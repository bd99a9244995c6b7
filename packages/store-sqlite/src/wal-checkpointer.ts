import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * Checkpoints the store's WAL from a thread of its own.
 *
 * SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages:
 * that commit copies them into the database and fsyncs twice with the event loop blocked, a few
 * milliseconds that were a push server's p99 at 1k msgs/s (docs/push-server.md). Here the
 * writer never checkpoints on its own. Every `commitsPerCheckpoint` commits, a second
 * connection on a worker thread runs a PASSIVE checkpoint, which neither waits for the writer
 * nor blocks it. What is synced, and when, stays SQLite's: only the thread that waits differs.
 *
 * A passive checkpoint leaves out what is committed while it runs, and SQLite rewinds the WAL
 * only once every frame is back in the database; under steady writes that may never happen by
 * itself. So when the thread reports a WAL of `restartWalFrames` or more, the writer checkpoints
 * the remainder itself, a short tail by then, and its next commit starts the WAL over. That
 * bounds the file at about that many pages, at one blocking checkpoint per that many frames
 * instead of one per 1,000.
 *
 * If the thread cannot start or fails, the writer goes back to SQLite's automatic checkpoint.
 */
export interface WalCheckpointer {
  /** Called after each commit of the writer. */
  committed(): void;
  /** Stops the thread and closes its connection; queued checkpoints run first. */
  close(): Promise<void>;
}

export interface WalCheckpointerOptions {
  /** @default 100 */
  commitsPerCheckpoint?: number;
  /** @default 8000 (32 MB with SQLite's 4 KB pages) */
  restartWalFrames?: number;
  busyTimeoutMs: number;
  /** Told after each checkpoint of the thread. */
  onCheckpoint?: (result: CheckpointResult) => void;
}

/** What a PASSIVE checkpoint reports, in WAL frames: all of them, and those now in the database. */
export interface CheckpointResult {
  log: number;
  checkpointed: number;
}

// The worker's code is a string, not a file of its own: the apps bundle this package into one
// file, where a path beside this module would not exist. It loads the same better-sqlite3 the
// store uses, found from here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
parentPort.on('message', (request) => {
  if (request === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  parentPort.postMessage(db.pragma('wal_checkpoint(PASSIVE)')[0]);
});
`;

const AUTOMATIC_CHECKPOINT_PAGES = 1000;

export function startWalCheckpointer(db: Database.Database, path: string, options: WalCheckpointerOptions): WalCheckpointer {
  const commitsPerCheckpoint = options.commitsPerCheckpoint ?? 100;
  const restartWalFrames = options.restartWalFrames ?? 8000;
  db.pragma('wal_autocheckpoint = 0');

  let worker: Worker | undefined;
  let stopped = false; // closed, or given back to SQLite
  let commits = 0;
  let inFlight = false;

  const fallBack = (): void => {
    stopped = true;
    worker = undefined;
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
  };

  const start = (): Worker => {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const started = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, busyTimeoutMs: options.busyTimeoutMs } });
    started.unref();
    started.on('message', (result: CheckpointResult) => {
      inFlight = false;
      if (result.log >= restartWalFrames && db.open) db.pragma('wal_checkpoint(PASSIVE)');
      options.onCheckpoint?.(result);
    });
    started.on('error', fallBack);
    return started;
  };

  return {
    committed() {
      if (stopped || ++commits < commitsPerCheckpoint || inFlight) return;
      commits = 0;
      inFlight = true;
      worker ??= start();
      worker.postMessage('checkpoint');
    },
    async close() {
      const running = worker;
      worker = undefined;
      stopped = true;
      if (running === undefined) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      // Held while it closes, or a process with nothing else to do would end before this resolves.
      running.ref();
      running.postMessage('close');
      await exited;
    },
  };
}

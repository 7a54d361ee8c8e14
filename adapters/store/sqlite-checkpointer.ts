/**
 * WAL checkpoints off the main thread. In WAL mode SQLite copies committed pages back into the
 * database file from time to time (a checkpoint, with an fsync); by default the connection that
 * commits does it, and with a synchronous driver that stalls the event loop for the length of a
 * disk flush. Here one worker thread per process holds its own connection to each open file and
 * runs PASSIVE checkpoints (they never wait on, nor block, readers and writers) every 250 ms. The
 * serving connection keeps a far-off automatic checkpoint as a fallback, should the worker fall
 * behind.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const INTERVAL_MS = 250;
/** The serving connection's own checkpoint threshold, in pages (SQLite's default is 1,000). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const open = new Map();
parentPort.on('message', (m) => {
  if (m.open !== undefined && !open.has(m.open)) {
    try {
      const db = new Database(m.open, { fileMustExist: true });
      db.pragma('busy_timeout = 0');
      open.set(m.open, db);
    } catch {}
  } else if (m.close !== undefined) {
    const db = open.get(m.close);
    open.delete(m.close);
    try { db && db.close(); } catch {}
  }
});
setInterval(() => {
  for (const db of open.values()) {
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  }
}, workerData.intervalMs);
`;

let worker: Worker | null = null;
const users = new Map<string, number>();

function post(message: { open: string } | { close: string }): void {
  if (!worker) {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), intervalMs: INTERVAL_MS } });
    // Never the reason a process stays up; an error there only means checkpoints fall back to commits.
    worker.unref();
    worker.on('error', () => {
      worker = null;
    });
  }
  worker.postMessage(message);
}

/** Starts checkpointing `filename` (counted: several connections to one file share one). */
export function checkpointInBackground(filename: string): () => void {
  users.set(filename, (users.get(filename) ?? 0) + 1);
  if (users.get(filename) === 1) post({ open: filename });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (users.get(filename) ?? 1) - 1;
    if (left > 0) {
      users.set(filename, left);
      return;
    }
    users.delete(filename);
    post({ close: filename });
    if (users.size === 0 && worker) {
      const w = worker;
      worker = null;
      // After the close message is handled: let the worker finish its queue, then stop it.
      setTimeout(() => void w.terminate(), 50).unref();
    }
  };
}

import { chmod, lstat, mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { FosspushError } from '@fosspush/core';

/**
 * The file-system checks that stand in for an access check. Node cannot read a socket peer's
 * uid (no SO_PEERCRED), so privacy rests on ownership and modes: a folder only we can write
 * and files only we can read. Everything here is a no-op where there are no uids (Windows).
 */

const OTHERS = 0o077;
const STICKY = 0o1000;

function currentUid(): number | undefined {
  return process.getuid?.();
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

function insecure(path: string, message: string, fix: string): FosspushError {
  return new FosspushError('INSECURE_PATH', `${message}. ${fix}`, { details: { path } });
}

/** Follows a symlink only when we or root made it: a link someone else owns can be re-pointed. */
async function inspect(path: string, uid: number): Promise<Stats> {
  const link = await lstat(path);
  if (!link.isSymbolicLink()) return link;
  if (link.uid !== uid && link.uid !== 0) {
    throw insecure(path, `${path} is a symbolic link owned by uid ${link.uid}, not by this user (${uid})`, 'Remove it.');
  }
  return stat(path);
}

/**
 * Throws INSECURE_PATH unless the socket's folder is one where nobody else can place or swap a
 * socket: ours with mode 0700, or a sticky folder root owns (like /tmp), where only a file's
 * owner may remove it. A sticky folder another user owns is refused: its owner may replace
 * anything in it, and could pose as the daemon to collect app credentials.
 */
export async function checkSocketFolder(dir: string): Promise<void> {
  const uid = currentUid();
  if (uid === undefined) return;
  const info = await inspect(dir, uid);
  if (!info.isDirectory()) throw insecure(dir, `the socket folder ${dir} is not a folder`, 'Choose another socket path.');
  if (info.uid === 0 && (info.mode & STICKY) !== 0) return;
  if (info.uid !== uid) {
    throw insecure(
      dir,
      `the socket folder ${dir} belongs to uid ${info.uid}, not to this user (${uid}); another user could pose as fosspushd there`,
      'Remove it, or set XDG_RUNTIME_DIR or FOSSPUSH_SOCKET to a private folder.',
    );
  }
  if ((info.mode & OTHERS) !== 0) {
    throw insecure(dir, `the socket folder ${dir} has mode ${octal(info.mode)}, so other users can reach into it`, `Run: chmod 700 ${dir}`);
  }
}

/** Throws INSECURE_PATH unless `path` is a socket this user owns (or no socket at all), in a folder `checkSocketFolder` accepts. */
export async function checkSocketFile(path: string, dir: string): Promise<void> {
  const uid = currentUid();
  if (uid === undefined) return;
  await checkSocketFolder(dir);
  const info = await lstat(path);
  // Anything else there (a stale regular file) refuses the connection by itself.
  if (!info.isSocket()) return;
  if (info.uid !== uid) {
    throw insecure(path, `the socket ${path} belongs to uid ${info.uid}, not to this user (${uid}); it is not your fosspushd`, 'Do not use it.');
  }
}

/**
 * Makes `dir` (created if missing) a folder only we can enter: `mkdir(..., { mode })` leaves an
 * existing folder as it was, so a loose folder we own is tightened to 0700, and one we do not
 * own is refused. Returns the mode it had when it was tightened.
 */
export async function ensurePrivateFolder(dir: string): Promise<{ tightenedFrom?: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const uid = currentUid();
  if (uid === undefined) return {};
  const info = await inspect(dir, uid);
  if (!info.isDirectory()) throw insecure(dir, `${dir} is not a folder`, 'Choose another path.');
  if (info.uid !== uid) {
    throw insecure(dir, `${dir} belongs to uid ${info.uid}, not to this user (${uid})`, 'Use a folder of your own.');
  }
  if ((info.mode & OTHERS) === 0) return {};
  await chmod(dir, 0o700);
  return { tightenedFrom: info.mode & 0o7777 };
}

/**
 * Creates `path` empty with mode 0600 if it is missing, and sets 0600 on it if it exists: the
 * mode holds whatever the umask is. Call it inside a folder `ensurePrivateFolder` made private,
 * where nobody else can have put a link in the way.
 */
export async function ensurePrivateFile(path: string): Promise<void> {
  const handle = await open(path, 'a', 0o600);
  try {
    if (currentUid() !== undefined) await handle.chmod(0o600);
  } finally {
    await handle.close();
  }
}

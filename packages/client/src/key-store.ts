import { chmod, type FileHandle, mkdir, open, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { FosspushError, type SubscriptionKeys } from '@fosspush/core';
import { ensurePrivateFolder } from '@fosspush/ipc';

/**
 * What an app keeps about its push registrations, in one private file (0600) the daemon never
 * reads: the credential that proves the app to the daemon, the instance id, and each
 * registration's RFC 8291 keys, private key included. Whoever holds this file can read the
 * app's messages, so it belongs in the app's own data folder.
 */
export interface AppKeyFile {
  version: 1;
  appId: string;
  credential?: string;
  instanceId: string;
  instanceCreatedAt: number;
  registrations: Record<string, StoredRegistration>;
}

export interface StoredRegistration {
  keys: SubscriptionKeys;
  /** Set once the daemon registered it. */
  registrationId?: string;
  token?: string;
}

export function defaultKeyFile(appId: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'fosspush', 'apps', `${appId}.json`);
}

function corrupt(path: string, cause?: unknown): FosspushError {
  return new FosspushError('INVALID_KEY', `${path} is not a fosspush app key file`, { cause, details: { path } });
}

/**
 * A key file must be ours and 0600: one left readable (copied, restored from a backup, written
 * by an older version) is tightened before its keys are read, one another user owns is refused.
 */
async function keepPrivate(handle: FileHandle, path: string): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const info = await handle.stat();
  if (info.uid !== uid) {
    throw new FosspushError('INSECURE_PATH', `${path} belongs to uid ${info.uid}, not to this user (${uid})`, { details: { path } });
  }
  if ((info.mode & 0o077) !== 0) await handle.chmod(0o600);
}

export async function readKeyFile(path: string, appId: string): Promise<AppKeyFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let text: string;
  try {
    await keepPrivate(handle, path);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let parsed: AppKeyFile;
  try {
    parsed = JSON.parse(text) as AppKeyFile;
  } catch (cause) {
    throw corrupt(path, cause);
  }
  if (parsed?.version !== 1 || typeof parsed.registrations !== 'object' || typeof parsed.instanceId !== 'string') throw corrupt(path);
  if (parsed.appId !== appId) {
    throw new FosspushError('PERMISSION_DENIED', `${path} belongs to app ${parsed.appId}, not ${appId}`, { details: { path } });
  }
  return parsed;
}

/** Writes the whole file to a temporary name and renames it over the old one: never half-written. */
export async function writeKeyFile(path: string, file: AppKeyFile): Promise<void> {
  const folder = dirname(path);
  // The SDK's own folder is made private even if it already existed looser; an app's own
  // folder (a custom `keyFile`) is the app's business, and the file itself is 0600 either way.
  if (folder === dirname(defaultKeyFile(file.appId))) await ensurePrivateFolder(folder);
  else await mkdir(folder, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

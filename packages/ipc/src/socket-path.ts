import { userInfo } from 'node:os';
import { join } from 'node:path';

export interface SocketPathEnvironment {
  platform?: NodeJS.Platform;
  env?: Readonly<Record<string, string | undefined>>;
  /** @default the current user's name (Windows) or uid (elsewhere) */
  user?: string;
}

/**
 * Where the daemon listens and apps connect, in this order: `FOSSPUSH_SOCKET`; on Windows a
 * per-user named pipe; `$XDG_RUNTIME_DIR/fosspush/daemon.sock` (systemd's per-user tmpfs,
 * private to the user); else a per-uid folder under the temp dir, which the server checks it
 * owns before trusting it.
 *
 * @example
 * const path = defaultSocketPath(); // '/run/user/1000/fosspush/daemon.sock'
 */
export function defaultSocketPath(environment: SocketPathEnvironment = {}): string {
  const env = environment.env ?? process.env;
  const platform = environment.platform ?? process.platform;
  const override = env['FOSSPUSH_SOCKET'];
  if (override) return override;
  if (platform === 'win32') {
    const user = environment.user ?? userInfo().username;
    return `\\\\.\\pipe\\fosspush-${user.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  }
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  if (runtimeDir) return join(runtimeDir, 'fosspush', 'daemon.sock');
  const user = environment.user ?? String(process.getuid?.() ?? userInfo().username);
  return join(env['TMPDIR'] ?? '/tmp', `fosspush-${user}`, 'daemon.sock');
}

export function isNamedPipe(path: string): boolean {
  return path.startsWith('\\\\.\\pipe\\') || path.startsWith('\\\\?\\pipe\\');
}

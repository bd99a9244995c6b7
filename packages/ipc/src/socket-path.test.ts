import { describe, expect, it } from 'vitest';
import { defaultSocketPath, isNamedPipe } from './socket-path.js';

describe('defaultSocketPath', () => {
  it('prefers FOSSPUSH_SOCKET, then XDG_RUNTIME_DIR, then a per-user temp folder', () => {
    expect(defaultSocketPath({ platform: 'linux', env: { FOSSPUSH_SOCKET: '/x/y.sock', XDG_RUNTIME_DIR: '/run/user/7' } })).toBe('/x/y.sock');
    expect(defaultSocketPath({ platform: 'linux', env: { XDG_RUNTIME_DIR: '/run/user/7' } })).toBe('/run/user/7/fosspush/daemon.sock');
    expect(defaultSocketPath({ platform: 'darwin', env: { TMPDIR: '/var/tmp' }, user: '501' })).toBe('/var/tmp/fosspush-501/daemon.sock');
    expect(defaultSocketPath({ platform: 'linux', env: {}, user: '1000' })).toBe('/tmp/fosspush-1000/daemon.sock');
  });

  it('uses a per-user named pipe on Windows', () => {
    const pipe = defaultSocketPath({ platform: 'win32', env: {}, user: 'Ana María' });
    expect(pipe).toBe('\\\\.\\pipe\\fosspush-Ana_Mar_a');
    expect(isNamedPipe(pipe)).toBe(true);
    expect(isNamedPipe('/run/user/7/fosspush/daemon.sock')).toBe(false);
  });
});

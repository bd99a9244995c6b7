import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DbusRig {
  /** `unix:path=RIG/bus`: pass as DBUS_SESSION_BUS_ADDRESS. */
  readonly address: string;
  readonly pid: number;
  /** Where `.service` files for D-Bus activation go (the rig's `<servicedir>`). */
  readonly serviceDir: string;
  /** Runs `gdbus` (package libglib2.0-bin) against this bus; resolves with its stdout. */
  gdbus(args: string[]): Promise<string>;
  /**
   * Starts `gdbus monitor --dest NAME` on this bus: the lines it prints, as they come. Stop it
   * with `stop()`.
   */
  monitor(destination: string): { lines: string[]; stop(): void };
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function sessionConfig(dir: string, serviceDir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>${serviceDir}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

/**
 * Starts a private `dbus-daemon` (package dbus-daemon) with its socket in a scratch folder,
 * for tests of the UnifiedPush D-Bus wire. Nothing touches the user's real session bus.
 *
 * @example
 * await using bus = await startDbus();
 * const connection = await connectSessionBus({ address: bus.address });
 */
export async function startDbus(): Promise<DbusRig> {
  const dir = mkdtempSync(join(tmpdir(), 'fosspush-dbus-'));
  const serviceDir = join(dir, 'services');
  const config = join(dir, 'session.conf');
  writeFileSync(config, sessionConfig(dir, serviceDir));
  let pid: number;
  let address: string;
  try {
    // --fork with both --print-* writing to fd 1: the pair the test rig notes found to work.
    const { stdout } = await run('dbus-daemon', [`--config-file=${config}`, '--fork', '--print-address=1', '--print-pid=1'], { timeout: 10_000 });
    const [printedAddress, printedPid] = stdout.trim().split('\n');
    address = (printedAddress ?? '').split(',guid=')[0] as string;
    pid = Number(printedPid);
    if (!address || !Number.isInteger(pid)) throw new Error(`unexpected dbus-daemon output: ${stdout}`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot start dbus-daemon (apt-get install dbus): ${(error as Error).message}`);
  }
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address };
  const monitors = new Set<ChildProcess>();
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const child of monitors) child.kill('SIGTERM');
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    })());
  return {
    address,
    pid,
    serviceDir,
    async gdbus(args) {
      const { stdout } = await run('gdbus', args, { env, timeout: 15_000 });
      return stdout;
    },
    monitor(destination) {
      const lines: string[] = [];
      const child = spawn('gdbus', ['monitor', '--session', '--dest', destination], { env, stdio: ['ignore', 'pipe', 'ignore'] });
      monitors.add(child);
      let partial = '';
      child.stdout.on('data', (chunk: Buffer) => {
        const text = partial + chunk.toString();
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts);
      });
      return {
        lines,
        stop: () => {
          child.kill('SIGTERM');
          monitors.delete(child);
        },
      };
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

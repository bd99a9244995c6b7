// System calls made by a deployment's processes over a window, counted by `perf stat` on the
// raw_syscalls:sys_enter tracepoint (every thread of the processes). Tracing costs the traced
// processes little but not nothing, so this runs in a window of its own, never in a round whose
// throughput or CPU time is reported.
import { spawn } from 'node:child_process';

/** perf's verdict on this machine, found once: undefined when it works, else why not. */
let perfUnavailable: Promise<string | undefined> | undefined;

function checkPerf(): Promise<string | undefined> {
  perfUnavailable ??= new Promise((resolve) => {
    const perf = spawn('perf', ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', '--', 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    perf.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    perf.once('error', (error) => resolve(`perf not runnable (${error.message})`));
    perf.once('exit', (code) => resolve(code === 0 && /raw_syscalls/.test(stderr) && !/not (counted|supported)/.test(stderr) ? undefined : `perf cannot count raw_syscalls:sys_enter here: ${stderr.trim().split('\n').pop()}`));
  });
  return perfUnavailable;
}

/** Why system calls cannot be counted on this machine, or undefined when they can. */
export function syscallCountingUnavailable(): Promise<string | undefined> {
  return checkPerf();
}

/** System calls entered by the processes during `windowMs`, or undefined without perf. */
export async function countSyscalls(pids: readonly number[], windowMs: number): Promise<number | undefined> {
  if ((await checkPerf()) !== undefined) return undefined;
  return new Promise((resolve) => {
    const perf = spawn('perf', ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', '-p', pids.join(','), '--', 'sleep', String(windowMs / 1000)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    perf.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    perf.once('error', () => resolve(undefined));
    perf.once('exit', () => {
      const line = stderr.split('\n').find((l) => l.includes('raw_syscalls:sys_enter'));
      const count = Number(line?.split(',')[0]);
      resolve(Number.isFinite(count) ? count : undefined);
    });
  });
}

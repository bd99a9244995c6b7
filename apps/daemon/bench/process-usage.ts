import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Resident memory of a process, in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN) / 1024;
}

/** CPU seconds (user + system) a process used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export interface IdleUsage {
  rssMb: number;
  /**
   * Percent of one core over the window, never below the measurement floor (one clock tick
   * over the window), so an idle process reads as "at most this" rather than a ratio-breaking 0.
   */
  cpuPercent: number;
  /** The measurement floor: one clock tick over the window, in percent. */
  cpuFloorPercent: number;
}

/** Watches processes side by side for `windowMs`: their CPU share and their largest RSS. */
export async function idleUsage(pids: readonly number[], windowMs: number): Promise<IdleUsage[]> {
  const cpuBefore = pids.map(cpuSeconds);
  const peak = pids.map(rssMb);
  const started = performance.now();
  while (performance.now() - started < windowMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, windowMs)));
    pids.forEach((pid, i) => {
      peak[i] = Math.max(peak[i] as number, rssMb(pid));
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuFloorPercent = (1 / CLOCK_TICKS_PER_SECOND / seconds) * 100;
  return pids.map((pid, i) => ({
    rssMb: peak[i] as number,
    cpuPercent: Math.max(cpuFloorPercent, ((cpuSeconds(pid) - (cpuBefore[i] as number)) / seconds) * 100),
    cpuFloorPercent,
  }));
}

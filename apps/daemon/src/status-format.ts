import type { StatusResult } from '@fosspush/ipc';

function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `fosspushd status` for people: two tables, accounts then registrations. */
export function formatStatus(status: StatusResult, now = Date.now()): string {
  const accounts = table(
    ['ACCOUNT', 'KIND', 'STATE', 'REGISTRATIONS', 'TARGET', 'LAST ERROR'],
    status.accounts.map((a) => [a.id, a.kind, a.state, String(a.registrations), a.target, a.lastError ?? '']),
  );
  const registrations =
    status.registrations.length === 0
      ? 'no registrations yet'
      : table(
          ['APP', 'INSTANCE', 'ACCOUNT', 'QUEUED', 'AGE', 'REGISTRATION'],
          status.registrations.map((r) => [r.via === 'unifiedpush' ? `${r.appId} (UnifiedPush)` : r.appId, r.instance, r.account, String(r.queued), age(now - r.createdAt), r.registrationId]),
        );
  return `fosspushd ${status.version} (pid ${status.pid}), up ${age(now - status.startedAt)}, socket ${status.socketPath}\n\n${accounts}\n\n${registrations}\n`;
}

import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CONFIGURATION_EXIT_CODES } from '../src/args.js';
import { codeBlock, readDoc } from './self-host/doc.js';

const unit = readFileSync(new URL('../systemd/fosspush-server.service', import.meta.url), 'utf8');

/** `Key=value` lines of the unit, continuation lines joined. */
function settings(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) map.set(match[1] as string, [...(map.get(match[1] as string) ?? []), match[2] as string]);
  }
  return map;
}

it('is shown in docs/push-server.md exactly as shipped', () => {
  expect(codeBlock(readDoc(), '## systemd', 'ini')).toBe(unit);
});

it('prevents restarts for every exit code a restart cannot fix', () => {
  const listed = (settings(unit).get('RestartPreventExitStatus')?.[0] ?? '').split(/\s+/).map(Number);
  expect(listed.sort()).toEqual([...CONFIGURATION_EXIT_CODES].sort());
});

it('starts after the network is online and keeps the operator endpoints on loopback', () => {
  const unitSettings = settings(unit);
  expect(unitSettings.get('Wants')).toContain('network-online.target');
  expect(unitSettings.get('After')).toContain('network-online.target');
  const exec = unitSettings.get('ExecStart')?.[0] ?? '';
  expect(exec).toMatch(/--listen 127\.0\.0\.1:8080/);
  expect(exec).toMatch(/--admin-listen 127\.0\.0\.1:9464/);
  expect(exec).toMatch(/--trust-proxy/);
});

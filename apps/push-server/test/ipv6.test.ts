import { afterAll, expect, it } from 'vitest';
import { type CliProcess, startCli } from './rig.js';

let cli: CliProcess | undefined;
afterAll(async () => {
  await cli?.stop('SIGTERM');
});

it('fosspush-server --listen [::1]:0 serves on the IPv6 loopback and links there', async () => {
  cli = await startCli(['--listen', '[::1]:0', '--memory']);
  expect(cli.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
  const response = await fetch(`${cli.url}/subscribe`, { method: 'POST' });
  expect(response.status).toBe(201);
  expect(new URL(response.headers.get('location') ?? '').origin).toBe(cli.url);
});

import { startRedis } from '@fosspush/testing';
import { expect, it, vi } from 'vitest';
import { exitOf, spawnCli } from './rig.js';

/** Time one request, and read its body. */
async function timed(url: string, init?: RequestInit): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}

// What ioredis says must stay in the log: a public body names our code and nothing inside.
const INTERNALS = /redis|ioredis|maxRetries|ECONNREFUSED|stream|writeable|timed out/i;

it('answers 503 within about a second while Redis hangs or is gone, with a neutral body, and recovers', async () => {
  await using redis = await startRedis();
  const { child, output } = spawnCli(['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--redis', redis.url]);
  try {
    const [publicUrl, operatorUrl] = await vi.waitFor(
      () => {
        const listening = /listening on (http:\/\/\S+)/.exec(output.stdout)?.[1];
        const operator = /operator endpoints on (http:\/\/\S+)/.exec(output.stdout)?.[1];
        if (!listening || !operator) throw new Error(`not ready: ${output.stderr}`);
        return [listening, operator];
      },
      { timeout: 30_000, interval: 50 },
    );
    expect((await timed(`${publicUrl}/subscribe`, { method: 'POST' })).status).toBe(201);

    const expectPromptUnavailable = async () => {
      const subscribe = await timed(`${publicUrl}/subscribe`, { method: 'POST' });
      const health = await timed(`${operatorUrl}/healthz`);
      for (const answer of [subscribe, health]) {
        expect(answer.status).toBe(503);
        expect(answer.ms).toBeLessThan(1500);
        expect(JSON.parse(answer.body)).toEqual({ code: 'UNAVAILABLE', message: 'the store is temporarily unavailable, retry later' });
        expect(answer.body).not.toMatch(INTERNALS);
      }
    };

    // A hung Redis (stopped, not dead): commands time out.
    process.kill(redis.pid, 'SIGSTOP');
    await expectPromptUnavailable();
    process.kill(redis.pid, 'SIGCONT');
    await vi.waitFor(async () => expect((await timed(`${operatorUrl}/healthz`)).status).toBe(200), { timeout: 10_000, interval: 100 });
    expect((await timed(`${publicUrl}/subscribe`, { method: 'POST' })).status).toBe(201);

    // A Redis that is gone: commands fail at once, without queueing for a reconnect.
    await redis.stop();
    await expectPromptUnavailable();
    await expectPromptUnavailable();

    // The detail is in the log, once per 10 s however many requests failed.
    const lines = output.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const unavailable = lines.filter((line) => line['event'] === 'request_unavailable');
    expect(unavailable.length).toBeGreaterThanOrEqual(1);
    expect(unavailable.length).toBeLessThanOrEqual(2);
    expect(JSON.stringify(unavailable[0]?.['cause'])).toMatch(/timed out|writeable|ECONNREFUSED|closed/i);
  } finally {
    child.kill('SIGTERM');
    await exitOf(child);
  }
}, 60_000);

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '@fosspush/testing';
import { describe, expect, it, onTestFinished } from 'vitest';

/**
 * A pulled cable: the device stream runs in a network namespace the test makes (so its
 * firewall rule touches nothing else on the machine), and nftables drops every packet of the
 * stream, both ways, without a reset: what a dead Wi-Fi or a vanished NAT mapping looks like.
 * Needs root, `ip` (iproute2) and `nft` (nftables); scripts/install-services.sh installs them.
 */
function makeNamespace(): string {
  const name = `fp-cable-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  onTestFinished(() => {
    execFileSync('ip', ['netns', 'del', name]);
  });
  execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return name;
}

async function runScenario(namespace: string, wire: string) {
  const scenario = fileURLToPath(new URL('./netns/pulled-cable.scenario.ts', import.meta.url));
  const proc = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', '--conditions=@fosspush/source', scenario, wire], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    proc.kill();
  });
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  expect(code).toBe(0);
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as {
    intervalMs: number;
    answerTimeoutMs: number;
    errorsBeforeDrop: number;
    detectedAfterMs: number;
    deliveredAfterMs: number;
  };
}

describe('a pulled cable (packets dropped in a network namespace)', () => {
  it.each(['websocket', 'sse'])('%s: noticed within one interval plus the answer timeout; the queued message arrives on reconnect', async (wire) => {
    const namespace = makeNamespace();
    const result = await runScenario(namespace, wire);
    expect(result.errorsBeforeDrop).toBe(0);
    // The last thing heard came at most one interval before the drop.
    expect(result.detectedAfterMs).toBeLessThanOrEqual(result.intervalMs + result.answerTimeoutMs + 500);
    expect(result.detectedAfterMs).toBeGreaterThanOrEqual(result.answerTimeoutMs);
    expect(result.deliveredAfterMs).toBeLessThan(10_000);
  }, 60_000);
});

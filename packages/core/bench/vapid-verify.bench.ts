// VAPID verification (RFC 8292) as a push service runs it on every push to a restricted
// subscription: `verifyVapid` with jose's JWS code against the hand-written JWT parser and
// verifier it replaced, taken from git (BASELINE_COMMIT) and run in the same process, in
// alternating rounds. Two cases:
// - the push path: one sender's token again and again, so the signature is cached and each push
//   costs the header and token decoding plus the claim checks;
// - a new token every time, so every call also verifies an ES256 signature.
// Set FOSSPUSH_VAPID_BASELINE to compare against another commit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchCase, opsPerSecond, reportBench } from '../../testing/src/bench.js';
import { repoRoot } from '../../testing/src/process.js';
import { createVapidSigner, generateVapidKeys, manualClock, verifyVapid } from '../src/index.js';

/** The last commit whose verifier was hand-written. */
const BASELINE_COMMIT = process.env['FOSSPUSH_VAPID_BASELINE'] ?? 'c978457';
const ROUNDS = 5;
const ROUND_MS = 600;
const FRESH_TOKENS = 400;

type Verify = typeof verifyVapid;

/** `verifyVapid` of the baseline commit: core's sources from git, imported as they were. */
async function baselineVerify(): Promise<{ verify: Verify; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'fosspush-vapid-baseline-'));
  const archive = execFileSync('git', ['archive', BASELINE_COMMIT, 'packages/core/src'], { cwd: repoRoot });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  const module = (await import(join(dir, 'packages/core/src/webpush-crypto/vapid.ts'))) as { verifyVapid: Verify };
  return { verify: module.verifyVapid, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const baseline = await baselineVerify();
const keys = await generateVapidKeys();
const clock = manualClock(Date.UTC(2026, 0, 1));
const audience = 'https://push.example.net';
const options = { audience, expectedPublicKey: keys.publicKey, runtime: { clock } };
const header = await createVapidSigner({ keys, subject: 'mailto:bench@example.org', runtime: { clock } }).authorization(audience);

/** Headers with a token each, never seen before: a new signer per token, a second apart. */
async function freshHeaders(count: number): Promise<string[]> {
  const headers: string[] = [];
  for (let i = 0; i < count; i++) {
    clock.advance(1000);
    headers.push(await createVapidSigner({ keys, subject: 'mailto:bench@example.org', runtime: { clock } }).authorization(audience));
  }
  return headers;
}

/** Verifications per second over `headers`, each verified once. */
async function uncachedRate(verify: Verify, headers: readonly string[]): Promise<number> {
  const start = performance.now();
  for (const each of headers) await verify(each, options);
  return headers.length / ((performance.now() - start) / 1000);
}

for (const verify of [verifyVapid, baseline.verify]) {
  const verified = await verify(header, options);
  if (verified.publicKey !== keys.publicKey) throw new Error('the two verifiers disagree');
}
const cached = { jose: [] as number[], handWritten: [] as number[] };
const fresh = { jose: [] as number[], handWritten: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  cached.handWritten.push(await opsPerSecond(() => baseline.verify(header, options), { minMs: ROUND_MS }));
  cached.jose.push(await opsPerSecond(() => verifyVapid(header, options), { minMs: ROUND_MS }));
  fresh.handWritten.push(await uncachedRate(baseline.verify, await freshHeaders(FRESH_TOKENS)));
  fresh.jose.push(await uncachedRate(verifyVapid, await freshHeaders(FRESH_TOKENS)));
}
baseline.cleanup();

const cases: BenchCase[] = [
  {
    name: 'verifyVapid, one sender token again and again (the push path: signature cached)',
    unit: 'verifications/s',
    higherIsBetter: true,
    ours: { label: 'jose decode', value: Math.round(median(cached.jose)) },
    baseline: { label: `hand-written parser (${BASELINE_COMMIT})`, value: Math.round(median(cached.handWritten)) },
    target: 0.85,
    extra: { rounds: ROUNDS },
  },
  {
    name: 'verifyVapid, a new token every time (ES256 signature verified)',
    unit: 'verifications/s',
    higherIsBetter: true,
    ours: { label: 'jose compactVerify', value: Math.round(median(fresh.jose)) },
    baseline: { label: `hand-written verifier (${BASELINE_COMMIT})`, value: Math.round(median(fresh.handWritten)) },
    target: 0.85,
    extra: { rounds: ROUNDS, tokensPerRound: FRESH_TOKENS },
  },
];
reportBench('vapid-verify', cases);

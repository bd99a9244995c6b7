// Runs every benchmark of @fosspush/core, one after the other. The email-notify bench is
// written separately and joins once its file exists.
import { existsSync } from 'node:fs';

await import('./webpush.bench.js');
await import('./vapid-verify.bench.js');
const emailNotifyBench = './email-notify.bench.js';
if (existsSync(new URL('./email-notify.bench.ts', import.meta.url))) await import(emailNotifyBench);

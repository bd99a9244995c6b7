#!/usr/bin/env node
import { runCli } from './run.js';

// The database, its WAL and any backup hold every set id (a set id opens that device's
// stream): whatever the caller's umask, nothing this process creates is readable by others.
process.umask(0o077);

let stopping = false;
const code = await runCli(
  process.argv.slice(2),
  { env: process.env, stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  (drain) => {
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal means "now": skip the drain.
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
      stopping = true;
      drain();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  },
);
process.exit(code);

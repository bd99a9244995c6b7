#!/usr/bin/env node
import { runCli } from './run.js';
import { isShardChild } from './shard-child.js';

// The database, its WAL and any backup hold every set id (a set id opens that device's
// stream): whatever the caller's umask, nothing this process creates is readable by others.
process.umask(0o077);

let stopping = false;
const shardChild = isShardChild(process.env);
const code = await runCli(
  process.argv.slice(2),
  { env: process.env, stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  (drain) => {
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal means "now": skip the drain. Not for a shard: systemd (the whole
      // cgroup) or a terminal (the process group) signals it once and its supervisor again.
      if (stopping && shardChild) return;
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
      stopping = true;
      drain();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  },
);
process.exit(code);

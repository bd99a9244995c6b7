// nchan (nginx's C pub/sub module) as a push server to measure ours against: it takes an HTTP
// publish, keeps the message in a buffer with a TTL, and delivers it over WebSocket, several
// channels on one socket. The harness runs its own nginx: its own prefix, configuration, pid
// file, logs and temp paths in a fresh directory, on a free loopback port.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, nginxTempPaths } from '@fosspush/testing';
import { childrenOf } from './procfs.js';

const NGINX = '/usr/sbin/nginx';
const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const DEBIAN_PACKAGES = ['nginx-light', 'libnginx-mod-nchan'];

/**
 * Installs nginx and nchan from Debian's packages when they are missing. The bench is not CI,
 * so they are not in scripts/install-services.sh; this needs root (or sudo-less apt) once.
 */
export function ensureNchanInstalled(): void {
  if (existsSync(NGINX) && existsSync(NCHAN_MODULE)) return;
  console.log(`nchan baseline: ${DEBIAN_PACKAGES.join(' and ')} missing; installing them with apt-get (once)`);
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...DEBIAN_PACKAGES], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (error) {
    throw new Error(`nchan baseline: could not install ${DEBIAN_PACKAGES.join(' ')} (run \`apt-get install ${DEBIAN_PACKAGES.join(' ')}\` as root, or leave nchan out with FOSSPUSH_BENCH_NCHAN=0)`, { cause: error });
  }
  if (!existsSync(NCHAN_MODULE)) throw new Error(`nchan baseline: ${NCHAN_MODULE} still missing after installing ${DEBIAN_PACKAGES.join(' ')}`);
}

export interface NchanOptions {
  /** nginx worker processes. */
  workers: number;
  /**
   * Seconds a message stays buffered for a subscriber that has not had it: the TTL the bench's
   * loader puts on every push (`ttl: 60`), which is how long our server keeps an unacked one.
   */
  messageTimeoutSeconds: number;
  /** Messages kept per channel (nchan has no acks: it keeps the newest ones until they expire). */
  messageBufferLength: number;
}

/** Publish with POST /p/<channel>; subscribe over WebSocket to /s/<channel>,<channel>,… */
function configuration(dir: string, port: number, options: NchanOptions): string {
  return `# Written by the push-server bench; nginx runs in the foreground with this directory as prefix.
daemon off;
master_process on;
worker_processes ${options.workers};
worker_rlimit_nofile 200000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
load_module ${NCHAN_MODULE};
events {
  worker_connections 100000;
}
http {
  access_log off;
${nginxTempPaths(dir)}
  # The loader pipelines every push over a few keep-alive connections.
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  nchan_max_reserved_memory 512M;
  nchan_message_buffer_length ${options.messageBufferLength};
  nchan_message_timeout ${options.messageTimeoutSeconds}s;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location ~ ^/p/(.+)$ {
      nchan_publisher http;
      nchan_channel_id $1;
    }
    location ~ ^/s/(.+)$ {
      nchan_subscriber websocket;
      nchan_channel_id $1;
      nchan_channel_id_split_delimiter ",";
      nchan_subscriber_first_message newest;
    }
  }
}
`;
}

export interface Nginx {
  /** http://127.0.0.1:<port> */
  base: string;
  /** The master and its workers. */
  pids: number[];
  stop(): Promise<void>;
}

async function untilListening(base: string, nginx: ChildProcess, errorLog: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode}: ${existsSync(errorLog) ? readFileSync(errorLog, 'utf8').trim() : ''}`);
    try {
      // A publish to a channel nobody reads: 202 once nchan answers.
      const response = await fetch(`${base}/p/bench-probe`, { method: 'POST', body: 'probe' });
      if (response.status === 202 || response.status === 201) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('nginx did not answer within 5 s');
}

async function workersOf(master: number, count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    // nginx also forks a cache manager for some configurations: only workers are expected here.
    const children = childrenOf(master);
    if (children.length >= count) return children;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx master ${master} did not start ${count} workers`);
}

/** Starts nginx with nchan in a fresh prefix on a free port (retrying if the port is taken meanwhile). */
export async function startNchan(options: NchanOptions): Promise<Nginx> {
  ensureNchanInstalled();
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'fosspush-bench-nchan-'));
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), configuration(dir, port, options));
    const nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'inherit', 'inherit'] });
    const base = `http://127.0.0.1:${port}`;
    // A bench that fails must not leave nginx running.
    const killOnExit = () => nginx.kill('SIGTERM');
    process.once('exit', killOnExit);
    nginx.once('exit', () => process.off('exit', killOnExit));
    const stop = () =>
      new Promise<void>((resolve) => {
        const cleanUp = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (nginx.exitCode !== null || nginx.signalCode !== null) return cleanUp();
        nginx.once('exit', cleanUp);
        // SIGTERM is nginx's fast shutdown: the master stops its workers, then exits.
        nginx.kill('SIGTERM');
      });
    try {
      await untilListening(base, nginx, join(dir, 'error.log'));
      const master = nginx.pid as number;
      return { base, pids: [master, ...(await workersOf(master, options.workers))], stop };
    } catch (error) {
      await stop();
      if (attempt >= 3) throw error;
    }
  }
}

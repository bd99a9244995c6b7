import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliProcess, startCli } from './rig.js';
import { codeBlock, readDoc, render } from './self-host/doc.js';
import { DOC_HOST, type ProxyProcess, startNginx } from './self-host/proxies.js';
import { type Certificate, makeCertificate, request } from './self-host/tls.js';
import { type Deployment, type DeviceStream, openWebSocket, type Subscription } from './self-host/workload.js';

/**
 * `fosspush-server --shards 2` as a real process tree, behind docs/push-server.md's shard config
 * for nginx: sets land on both shards, each push reaches its device through the one public
 * address, and a shard that is killed comes back on its port while the other serves on.
 * Debian package nginx-light (scripts/install-services.sh).
 */
const HEADING = '## Shards: every core behind one address';

let dir: string;
let certificate: Certificate;
let server: CliProcess | undefined;
let proxy: ProxyProcess | undefined;
let deployment: Deployment;
const streams: DeviceStream[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fosspush-shards-'));
  certificate = makeCertificate(dir, DOC_HOST);
  const proxyPort = await freePort();
  deployment = { publicUrl: `https://${DOC_HOST}:${proxyPort}`, ca: certificate.ca };
  server = await startCli(['--listen', '127.0.0.1:0', '--db', join(dir, 'server.db'), '--public-url', deployment.publicUrl, '--trust-proxy', '--shards', '2']);
  const [shard0, shard1] = server.urls.map((url) => new URL(url).host);
  const conf = render(codeBlock(readDoc(), HEADING, 'nginx'), [
    ['listen 443 ssl http2;', `listen 127.0.0.1:${proxyPort} ssl http2;`],
    [`/etc/letsencrypt/live/${DOC_HOST}/fullchain.pem`, certificate.certPath],
    [`/etc/letsencrypt/live/${DOC_HOST}/privkey.pem`, certificate.keyPath],
    ['127.0.0.1:8080', shard0 as string],
    ['127.0.0.1:8081', shard1 as string],
  ]);
  proxy = await startNginx(join(dir, 'nginx'), conf, proxyPort);
}, 60_000);

afterAll(async () => {
  for (const stream of streams) stream.close();
  await server?.stop();
  await proxy?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tls = () => ({ ca: deployment.ca as string });

async function subscribe(setUrl?: string): Promise<Subscription> {
  const headers: Record<string, string> = setUrl === undefined ? {} : { link: `<${setUrl}>; rel="urn:ietf:params:push:set"` };
  const answer = await request(`${deployment.publicUrl}/subscribe`, { method: 'POST', headers, ...tls() });
  expect(answer.status, answer.body).toBe(201);
  return JSON.parse(answer.body) as Subscription;
}

async function push(pushUrl: string): Promise<string> {
  const answer = await request(pushUrl, { method: 'POST', headers: { ttl: '600' }, ...tls() });
  expect(answer.status, answer.body).toBe(201);
  return (answer.headers.location as string).split('/').pop() as string;
}

async function device(set: string) {
  const stream = await openWebSocket(deployment, set);
  streams.push(stream);
  await stream.next('ready');
  return stream;
}

/** Waits for message `id` on the stream and acks it, so no later stream of the set gets it again. */
async function received(stream: Awaited<ReturnType<typeof device>>, id: string): Promise<void> {
  expect((await stream.next('msg')).id).toBe(id);
  stream.ack(id);
}

const shardOf = (url: string) => (url.startsWith(`${deployment.publicUrl}/s1/`) ? 1 : 0);

/** Shard `index`'s process id, from the supervisor's latest start or restart log line. */
function shardPid(index: number): number {
  let pid: number | undefined;
  for (const line of (server as CliProcess).logs().trim().split('\n')) {
    const entry = JSON.parse(line) as { event: string; shard?: number; pid?: number; shards?: { shard: number; pid: number }[] };
    if (entry.event === 'shards_started') pid = entry.shards?.find((shard) => shard.shard === index)?.pid;
    if (entry.event === 'shard_restarted' && entry.shard === index) pid = entry.pid;
  }
  if (pid === undefined) throw new Error(`no pid logged for shard ${index}`);
  return pid;
}

describe('fosspush-server --shards 2 behind nginx, as documented', () => {
  let sets: Subscription[] = [];

  it('makes sets on both shards, each with its own database file', async () => {
    sets = await Promise.all(Array.from({ length: 4 }, () => subscribe()));
    expect(new Set(sets.map((set) => shardOf(set.set)))).toEqual(new Set([0, 1]));
    for (const set of sets) expect(shardOf(set.push)).toBe(shardOf(set.set));
    expect(existsSync(join(dir, 'server.db'))).toBe(true);
    expect(existsSync(join(dir, 'server.db.shard-1'))).toBe(true);
  }, 30_000);

  it("delivers each set's pushes to its device, on either shard, over one public address", async () => {
    for (const set of sets) {
      const stream = await device(set.set);
      await received(stream, await push(set.push));
    }
    // An app server on one keep-alive connection, pushing to sets of both shards in turn.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: deployment.ca });
    const sockets = new Set<unknown>();
    try {
      for (const set of [...sets, ...sets]) {
        const status = await new Promise<number>((resolve, reject) => {
          const url = new URL(set.push);
          const req = httpsRequest(
            { host: '127.0.0.1', port: url.port, path: url.pathname, method: 'POST', headers: { host: url.host, ttl: '0' }, servername: url.hostname, agent },
            (res) => {
              sockets.add(res.socket);
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
        expect(status).toBe(201);
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
    // A second subscription in a shard-1 set goes to shard 1, by the set its Link header names.
    const onShard1 = sets.find((set) => shardOf(set.set) === 1) as Subscription;
    const added = await subscribe(onShard1.set);
    expect(added.set).toBe(onShard1.set);
    expect(shardOf(added.push)).toBe(1);
  }, 30_000);

  it('restarts a killed shard on its port while the other shard keeps its devices', async () => {
    const survivor = sets.find((set) => shardOf(set.set) === 0) as Subscription;
    const victim = sets.find((set) => shardOf(set.set) === 1) as Subscription;
    const survivorStream = await device(survivor.set);
    const killed = shardPid(1);
    process.kill(killed, 'SIGKILL');
    await vi.waitFor(() => expect(server?.logs()).toMatch(/"event":"shard_exited","shard":1,.*"signal":"SIGKILL"/), { timeout: 10_000 });

    // Shard 0's device never noticed: its open stream still gets a push.
    await received(survivorStream, await push(survivor.push));

    await vi.waitFor(() => expect(shardPid(1)).not.toBe(killed), { timeout: 15_000 });
    // Same port, same database: the set made before the kill still takes pushes, and its device gets them.
    await received(await device(victim.set), await push(victim.push));
  }, 45_000);

  it('drains every shard on SIGTERM and exits 0, also when each shard gets the signal too (systemd signals the whole cgroup)', async () => {
    for (const index of [0, 1]) process.kill(shardPid(index), 'SIGTERM');
    expect(await server?.stop('SIGTERM')).toBe(0);
    const events = (server as CliProcess).logs().trim().split('\n').map((line) => JSON.parse(line) as { event: string; shard?: number });
    expect(events.filter((entry) => entry.event === 'stopped').map((entry) => entry.shard).sort()).toEqual([0, 1]);
    expect(events.at(-1)?.event).toBe('shards_stopped');
    server = undefined;
  }, 30_000);
});

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RedisRig, startRedis } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, startCli } from './rig.js';
import { codeBlock, commandArguments, readDoc, render } from './self-host/doc.js';
import { DOC_HOST, documentedCaddySite, documentedNginx, startCaddy, startNginx } from './self-host/proxies.js';
import { type Certificate, makeCertificate, request } from './self-host/tls.js';
import { checkDelivery, type Deployment } from './self-host/workload.js';

/**
 * docs/push-server.md, "Scaling out with Redis", run for real: the two node commands and the
 * balancer configs come from the page (on top of the proxy section's), on one redis-server.
 */
const SCALE = '## Scaling out with Redis';
const HOST = DOC_HOST;

let dir: string;
let certificate: Certificate;
let redis: RedisRig;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fosspush-lb-'));
  certificate = makeCertificate(dir, HOST);
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Ports {
  proxy: number;
  nodes: [number, number];
  admin: [number, number];
}

/** The page's two commands on free ports, with a per-address limit that barely refills (10 requests, then one every 10 s), so a test can reach it. */
async function startNodes(p: Ports): Promise<CliProcess[]> {
  const commands = codeBlock(readDoc(), SCALE, 'sh').trim().replace(/\\\n\s*/g, ' ').split('\n');
  expect(commands).toHaveLength(2);
  return Promise.all(
    commands.map((command, i) =>
      startCli([
        ...commandArguments(
          render(command, [
            [/127\.0\.0\.1:808\d/, `127.0.0.1:${p.nodes[i]}`],
            [/127\.0\.0\.1:946\d/, `127.0.0.1:${p.admin[i]}`],
            ['redis://127.0.0.1:6379', redis.url],
            [`https://${HOST}`, `https://${HOST}:${p.proxy}`],
          ]),
        ),
        '--rate-limit-ip',
        '0.1:10',
      ]),
    ),
  );
}

async function requestsServed(adminPort: number): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  return [...metrics.matchAll(/^fosspush_http_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function checkBalancer(p: Ports): Promise<void> {
  const deployment: Deployment = { publicUrl: `https://${HOST}:${p.proxy}`, ca: certificate.ca };
  await checkDelivery(deployment);
  // Both nodes took requests: the balancer spreads them, and delivery did not care which.
  for (const admin of p.admin) expect(await requestsServed(admin)).toBeGreaterThan(0);

  // One client (127.0.0.2) runs into its limit, with or without a forged X-Forwarded-For...
  const from = (localAddress: string, headers: Record<string, string> = {}) =>
    request(`${deployment.publicUrl}/subscribe`, { method: 'POST', ca: certificate.ca, localAddress, headers });
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) statuses.push((await from('127.0.0.2', { 'x-forwarded-for': `198.51.100.${i}` })).status);
  expect(statuses).toContain(429);
  expect((await from('127.0.0.2', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
  // ...while another client (127.0.0.3), behind the same balancer, is not limited.
  expect((await from('127.0.0.3')).status).toBe(201);
}

async function freePorts(): Promise<Ports> {
  return { proxy: await freePort(), nodes: [await freePort(), await freePort()], admin: [await freePort(), await freePort()] };
}

describe('two nodes behind one balancer, as documented', () => {
  const running: { stop(): Promise<unknown> }[] = [];
  afterAll(async () => {
    await Promise.all(running.map((process) => process.stop()));
  }, 30_000);

  it('nginx upstream', async () => {
    const p = await freePorts();
    const upstream = render(codeBlock(readDoc(), SCALE, 'nginx'), [
      ['127.0.0.1:8080', `127.0.0.1:${p.nodes[0]}`],
      ['127.0.0.1:8081', `127.0.0.1:${p.nodes[1]}`],
    ]);
    running.push(...(await startNodes(p)));
    const prefix = join(dir, 'nginx');
    mkdirSync(prefix);
    running.push(await startNginx(prefix, `${upstream}\n${documentedNginx(p.proxy, certificate, 'http://fosspush')}`, p.proxy));
    await checkBalancer(p);
  }, 90_000);

  it('Caddy reverse_proxy with two upstreams', async () => {
    const p = await freePorts();
    const balancer = render(codeBlock(readDoc(), SCALE, 'caddyfile'), [
      ['127.0.0.1:8080 127.0.0.1:8081', `127.0.0.1:${p.nodes[0]} 127.0.0.1:${p.nodes[1]}`],
    ]);
    running.push(...(await startNodes(p)));
    const prefix = join(dir, 'caddy');
    mkdirSync(prefix);
    running.push(await startCaddy(prefix, documentedCaddySite(p.proxy, certificate, balancer), p.proxy));
    await checkBalancer(p);
  }, 90_000);
});

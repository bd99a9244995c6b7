import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, startCli } from './rig.js';
import { codeBlock, commandArguments, readDoc, render } from './self-host/doc.js';
import { type ProxyProcess, startCaddy, startNginx } from './self-host/proxies.js';
import { type Certificate, makeCertificate, request } from './self-host/tls.js';
import { checkDelivery, checkOperatorRoutesPrivate, checkPayloadTooLarge, type Deployment, subscribe } from './self-host/workload.js';

/**
 * docs/push-server.md, "Behind a TLS reverse proxy", run for real: the server command and both
 * proxy configs are read from the page, and only ports, certificate paths and the public host
 * are changed. Debian packages nginx-light and caddy (scripts/install-services.sh).
 */
const HEADING = '## Behind a TLS reverse proxy';
const HOST = 'push.example.org';

let dir: string;
let certificate: Certificate;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fosspush-proxy-'));
  certificate = makeCertificate(dir, HOST);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ports {
  proxy: number;
  server: number;
  admin: number;
}

async function ports(): Promise<Ports> {
  return { proxy: await freePort(), server: await freePort(), admin: await freePort() };
}

/** The docs' command, on these ports and a scratch database. */
function startServerAsDocumented(p: Ports, name: string): Promise<CliProcess> {
  const command = render(codeBlock(readDoc(), HEADING, 'sh').trim(), [
    ['127.0.0.1:8080', `127.0.0.1:${p.server}`],
    ['127.0.0.1:9464', `127.0.0.1:${p.admin}`],
    ['/var/lib/fosspush/server.db', join(dir, `${name}.db`)],
    [`https://${HOST}`, `https://${HOST}:${p.proxy}`],
  ]);
  return startCli(commandArguments(command));
}

/** How many requests for `route` reached the server and were refused 404 (its own counter). */
async function refusedAtServer(p: Ports, route: string): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${p.admin}/metrics`)).text();
  const match = new RegExp(`^fosspush_http_requests_total\\{route="${route}",status="404"\\} (\\d+)$`, 'm').exec(metrics);
  return Number(match?.[1] ?? 0);
}

async function checkThroughProxy(p: Ports, server: CliProcess, restart: () => Promise<CliProcess>): Promise<CliProcess> {
  const deployment: Deployment = { publicUrl: `https://${HOST}:${p.proxy}`, ca: certificate.ca };
  await checkDelivery(deployment);
  const target = await subscribe(deployment);
  await checkPayloadTooLarge(deployment, target.push);
  await checkOperatorRoutesPrivate(deployment);
  // The proxy itself refused them: nothing reached the server's routes.
  expect(await refusedAtServer(p, 'metrics')).toBe(0);
  expect(await refusedAtServer(p, 'healthz')).toBe(0);

  // While the server is down (a restart), senders get the JSON 503, not an HTML 502.
  expect(await server.stop('SIGTERM')).toBe(0);
  const down = await request(target.push, { method: 'POST', headers: { ttl: '60' }, ca: certificate.ca });
  expect(down.status).toBe(503);
  expect(down.headers['retry-after']).toBe('5');
  expect(JSON.parse(down.body)).toMatchObject({ code: 'UNAVAILABLE' });
  const again = await restart();
  expect((await request(target.push, { method: 'POST', headers: { ttl: '60' }, ca: certificate.ca })).status).toBe(201);
  return again;
}

describe('nginx, as documented', () => {
  let proxy: ProxyProcess | undefined;
  let server: CliProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
  }, 30_000);

  it('passes subscribe, pushes, WebSocket and SSE; answers 413 and 503 in JSON; keeps /metrics and /healthz private', async () => {
    const p = await ports();
    const conf = render(codeBlock(readDoc(), HEADING, 'nginx'), [
      ['listen 443 ssl http2;', `listen 127.0.0.1:${p.proxy} ssl http2;`],
      [`/etc/letsencrypt/live/${HOST}/fullchain.pem`, certificate.certPath],
      [`/etc/letsencrypt/live/${HOST}/privkey.pem`, certificate.keyPath],
      ['proxy_pass http://127.0.0.1:8080;', `proxy_pass http://127.0.0.1:${p.server};`],
    ]);
    const prefix = join(dir, 'nginx');
    mkdirSync(prefix);
    server = await startServerAsDocumented(p, 'nginx');
    proxy = await startNginx(prefix, conf, p.proxy);
    server = await checkThroughProxy(p, server, () => startServerAsDocumented(p, 'nginx'));
    expect(proxy.logs()).not.toMatch(/\[(emerg|alert|crit)\]/);
  }, 90_000);
});

describe('Caddy, as documented', () => {
  let proxy: ProxyProcess | undefined;
  let server: CliProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
  }, 30_000);

  it('is formatted as caddy fmt wants it', () => {
    const block = codeBlock(readDoc(), HEADING, 'caddyfile');
    const path = join(dir, 'fmt.Caddyfile');
    writeFileSync(path, block);
    expect(execFileSync('caddy', ['fmt', path], { encoding: 'utf8' })).toBe(block);
  });

  it('passes subscribe, pushes, WebSocket and SSE; answers 413 and 503 in JSON; keeps /metrics and /healthz private', async () => {
    const p = await ports();
    const site = render(codeBlock(readDoc(), HEADING, 'caddyfile'), [
      [`${HOST} {\n`, `${HOST}:${p.proxy} {\n\ttls ${certificate.certPath} ${certificate.keyPath}\n`],
      ['reverse_proxy 127.0.0.1:8080 {', `reverse_proxy 127.0.0.1:${p.server} {`],
    ]);
    // Only the global options are ours: no admin endpoint, no port 80 redirect listener.
    const caddyfile = `{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n}\n\n${site}`;
    const prefix = join(dir, 'caddy');
    mkdirSync(prefix);
    server = await startServerAsDocumented(p, 'caddy');
    proxy = await startCaddy(prefix, caddyfile, p.proxy);
    server = await checkThroughProxy(p, server, () => startServerAsDocumented(p, 'caddy'));
    expect(proxy.logs()).not.toMatch(/not formatted/);
  }, 90_000);
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, startCli } from './rig.js';
import { codeBlock, commandArguments, readDoc, render } from './self-host/doc.js';
import {
  DOC_HOST,
  documentedCaddyReverseProxy,
  documentedCaddySite,
  documentedNginx,
  type ProxyProcess,
  startCaddy,
  startNginx,
} from './self-host/proxies.js';
import { type Certificate, makeCertificate, request } from './self-host/tls.js';
import { checkDelivery, checkOperatorRoutesPrivate, checkPayloadTooLarge, type Deployment, subscribe } from './self-host/workload.js';

/**
 * docs/push-server.md, "Behind a TLS reverse proxy", run for real: the server command and both
 * proxy configs are read from the page, and only ports, certificate paths and the public host
 * are changed. Debian packages nginx-light and caddy (scripts/install-services.sh).
 */
const HEADING = '## Behind a TLS reverse proxy';

let dir: string;
let certificate: Certificate;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fosspush-proxy-'));
  certificate = makeCertificate(dir, DOC_HOST);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ports {
  proxy: number;
  server: number;
  admin: number;
}

/** The docs' command, on these ports and a scratch database. */
function startServerAsDocumented(p: Ports, name: string): Promise<CliProcess> {
  const command = render(codeBlock(readDoc(), HEADING, 'sh').trim(), [
    ['127.0.0.1:8080', `127.0.0.1:${p.server}`],
    ['127.0.0.1:9464', `127.0.0.1:${p.admin}`],
    ['/var/lib/fosspush/server.db', join(dir, `${name}.db`)],
    [`https://${DOC_HOST}`, `https://${DOC_HOST}:${p.proxy}`],
  ]);
  return startCli(commandArguments(command));
}

/** How many requests for `route` reached the server and were refused 404 (its own counter). */
async function refusedAtServer(p: Ports, route: string): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${p.admin}/metrics`)).text();
  const match = new RegExp(`^fosspush_http_requests_total\\{route="${route}",status="404"\\} (\\d+)$`, 'm').exec(metrics);
  return Number(match?.[1] ?? 0);
}

const PROXIES = [
  {
    name: 'nginx',
    start: (prefix: string, p: Ports) => startNginx(prefix, documentedNginx(p.proxy, certificate, `http://127.0.0.1:${p.server}`), p.proxy),
    // Anything nginx itself considers serious.
    badLog: /\[(emerg|alert|crit)\]/,
  },
  {
    name: 'caddy',
    start: (prefix: string, p: Ports) => startCaddy(prefix, documentedCaddySite(p.proxy, certificate, documentedCaddyReverseProxy(p.server)), p.proxy),
    // Caddy warns at every start about a Caddyfile that `caddy fmt` would change.
    badLog: /not formatted/,
  },
];

describe.each(PROXIES)('$name, as documented', ({ name, start, badLog }) => {
  let proxy: ProxyProcess | undefined;
  let server: CliProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
  }, 30_000);

  it('passes subscribe, pushes, WebSocket and SSE; answers 413 and 503 in JSON; keeps /metrics and /healthz private', async () => {
    const p: Ports = { proxy: await freePort(), server: await freePort(), admin: await freePort() };
    const prefix = join(dir, name);
    mkdirSync(prefix);
    server = await startServerAsDocumented(p, name);
    proxy = await start(prefix, p);

    const deployment: Deployment = { publicUrl: `https://${DOC_HOST}:${p.proxy}`, ca: certificate.ca };
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
    server = await startServerAsDocumented(p, name);
    expect((await request(target.push, { method: 'POST', headers: { ttl: '60' }, ca: certificate.ca })).status).toBe(201);
    expect(proxy.logs()).not.toMatch(badLog);
  }, 90_000);
});

it('the Caddyfile is formatted as caddy fmt wants it', () => {
  const block = codeBlock(readDoc(), HEADING, 'caddyfile');
  const path = join(dir, 'fmt.Caddyfile');
  writeFileSync(path, block);
  expect(execFileSync('caddy', ['fmt', path], { encoding: 'utf8' })).toBe(block);
});

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { nginxTempPaths } from '@fosspush/testing';
import { codeBlock, readDoc, render } from './doc.js';
import type { Certificate } from './tls.js';

/** The host name the docs' configs serve. */
export const DOC_HOST = 'push.example.org';
const PROXY_SECTION = '## Behind a TLS reverse proxy';

export interface ProxyProcess {
  /** Everything it wrote to stderr and stdout. */
  logs(): string;
  stop(): Promise<void>;
}

function waitForPort(port: number, child: ChildProcess, logs: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`the proxy exited with ${child.exitCode}:\n${logs()}`));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`the proxy is not listening on ${port}:\n${logs()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function supervise(child: ChildProcess, port: number): Promise<ProxyProcess> {
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const logs = () => output;
  const proxy: ProxyProcess = {
    logs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
  return waitForPort(port, child, logs).then(
    () => proxy,
    async (error: unknown) => {
      await proxy.stop();
      throw error;
    },
  );
}

/**
 * Debian's nginx as our own child, with its own prefix: `conf` is what the docs put in a
 * `conf.d` file, placed here inside a minimal `http` block.
 */
export function startNginx(dir: string, conf: string, port: number): Promise<ProxyProcess> {
  const temp = join(dir, 'temp');
  mkdirSync(temp, { recursive: true, mode: 0o777 });
  const main = `pid ${join(dir, 'nginx.pid')};
error_log stderr notice;
worker_processes 1;
events { worker_connections 512; }
http {
    access_log off;
${nginxTempPaths(temp)}
${conf}
}
`;
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, main);
  const child = spawn('nginx', ['-p', dir, '-c', path, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return supervise(child, port);
}

/**
 * Debian's caddy with its state in `dir`. Only the global options are ours: no admin endpoint,
 * no port 80 redirect listener, no trust store changes.
 */
export function startCaddy(dir: string, site: string, port: number): Promise<ProxyProcess> {
  const path = join(dir, 'Caddyfile');
  writeFileSync(path, `{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n}\n\n${site}`);
  const child = spawn('caddy', ['run', '--config', path, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  return supervise(child, port);
}

/**
 * The proxy section's nginx config on 127.0.0.1:`port` with the test certificate; `proxyPass`
 * replaces its `http://127.0.0.1:8080`.
 */
export function documentedNginx(port: number, certificate: Certificate, proxyPass: string): string {
  return render(codeBlock(readDoc(), PROXY_SECTION, 'nginx'), [
    ['listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`],
    [`/etc/letsencrypt/live/${DOC_HOST}/fullchain.pem`, certificate.certPath],
    [`/etc/letsencrypt/live/${DOC_HOST}/privkey.pem`, certificate.keyPath],
    ['proxy_pass http://127.0.0.1:8080;', `proxy_pass ${proxyPass};`],
  ]);
}

/**
 * The proxy section's Caddy site on `port` with the test certificate; `reverseProxy` replaces
 * its whole `reverse_proxy 127.0.0.1:8080 { ... }` block.
 */
export function documentedCaddySite(port: number, certificate: Certificate, reverseProxy: string): string {
  return render(codeBlock(readDoc(), PROXY_SECTION, 'caddyfile'), [
    [`${DOC_HOST} {\n`, `${DOC_HOST}:${port} {\n\ttls ${certificate.certPath} ${certificate.keyPath}\n`],
    [/\treverse_proxy 127\.0\.0\.1:8080 \{\n[\s\S]*?\n\t\}\n/, reverseProxy],
  ]);
}

/** The proxy section's own `reverse_proxy` block, aimed at `port`. */
export function documentedCaddyReverseProxy(port: number): string {
  const block = /\treverse_proxy 127\.0\.0\.1:8080 \{\n[\s\S]*?\n\t\}\n/.exec(codeBlock(readDoc(), PROXY_SECTION, 'caddyfile'))?.[0];
  if (!block) throw new Error('the proxy section has no reverse_proxy block');
  return block.replace('127.0.0.1:8080', `127.0.0.1:${port}`);
}

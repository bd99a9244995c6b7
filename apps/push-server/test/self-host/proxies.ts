import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

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
    client_body_temp_path ${temp}/body;
    proxy_temp_path ${temp}/proxy;
    fastcgi_temp_path ${temp}/fastcgi;
    uwsgi_temp_path ${temp}/uwsgi;
    scgi_temp_path ${temp}/scgi;
${conf}
}
`;
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, main);
  const child = spawn('nginx', ['-p', dir, '-c', path, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return supervise(child, port);
}

/** Debian's caddy with its state in `dir`, no admin endpoint and no ACME. */
export function startCaddy(dir: string, caddyfile: string, port: number): Promise<ProxyProcess> {
  const path = join(dir, 'Caddyfile');
  writeFileSync(path, caddyfile);
  const child = spawn('caddy', ['run', '--config', path, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  return supervise(child, port);
}

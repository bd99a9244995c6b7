import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-rig.js';

export interface ProsodyUser {
  /** `alice@localhost` */
  readonly jid: string;
  readonly username: string;
  readonly password: string;
}

export interface ProsodyRig {
  /** The XMPP domain, `localhost`. */
  readonly domain: string;
  readonly host: '127.0.0.1';
  /** Client-to-server port (plaintext, SASL PLAIN and SCRAM offered). */
  readonly c2sPort: number;
  /** HTTP port where mod_unified_push takes pushes (`/push/<token>`). */
  readonly httpPort: number;
  /** Two users, `alice` and `bob`. */
  readonly users: readonly [ProsodyUser, ProsodyUser];
  /**
   * An external component (XEP-0114) the tests may speak as, to send stanzas the real server
   * would never make (malformed pushes, oversized bodies) from a JID a channel can be told to trust.
   */
  readonly component: { readonly jid: string; readonly port: number; readonly secret: string };
  /**
   * With `tls`: STARTTLS offered on `c2sPort` (not required) and direct TLS on `directTlsPort`,
   * with a certificate for `localhost` and 127.0.0.1 that `ca` (PEM, made at start) signed.
   */
  readonly tls: { readonly ca: string; readonly directTlsPort: number } | undefined;
  readonly dir: string;
  readonly pid: number;
  /** Stops Prosody (SIGTERM) and starts it again on the same ports and data. */
  restart(): Promise<void>;
  /** Prosody's log so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartProsodyOptions {
  /** @default 10000 */
  startTimeoutMs?: number;
  /** Seconds a push registration lives (`unified_push_registration_ttl`). @default 86400 */
  registrationTtlSeconds?: number;
  /** Serve TLS (STARTTLS and direct TLS) with a throwaway CA; see `ProsodyRig.tls`. @default false */
  tls?: boolean;
}

interface Ports {
  c2s: number;
  http: number;
  component: number;
  /** Direct TLS, with `tls` only. */
  directTls?: number;
}

/**
 * A throwaway CA and a certificate it signed for `localhost` / 127.0.0.1, made with openssl in
 * `dir`: the test trusts the CA, as a user of a server with its own CA would.
 */
function makeCertificates(dir: string): { ca: string; certificate: string; key: string } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=fosspush test CA');
  openssl('req', ...ecKey, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${DOMAIN}`);
  writeFileSync(file('server.ext'), `subjectAltName=DNS:${DOMAIN},IP:127.0.0.1\n`);
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext'));
  return { ca: readFileSync(file('ca.pem'), 'utf8'), certificate: file('server.pem'), key: file('server.key') };
}

const DOMAIN = 'localhost';
const PROSODY_MODULES = ['/usr/lib/prosody/modules', '/usr/share/prosody-modules'];

function config(dir: string, ports: Ports, ttlSeconds: number, componentSecret: string, tls: { certificate: string; key: string } | undefined): string {
  const lua = (value: string) => JSON.stringify(value);
  const tlsLines =
    tls === undefined
      ? 'modules_disabled = { "s2s", "tls" }'
      : `modules_disabled = { "s2s" }
ssl = { certificate = ${lua(tls.certificate)}, key = ${lua(tls.key)} }
c2s_direct_tls_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = { ${ports.directTls} }`;
  return `-- written by @fosspush/testing's prosody rig
pidfile = ${lua(join(dir, 'prosody.pid'))}
data_path = ${lua(join(dir, 'data'))}
plugin_paths = { ${PROSODY_MODULES.map(lua).join(', ')} }
log = { { levels = { min = "info" }, to = "file", filename = ${lua(join(dir, 'prosody.log'))} } }
interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
c2s_ports = { ${ports.c2s} }
http_interfaces = { "127.0.0.1" }
http_ports = { ${ports.http} }
https_ports = { }
component_interfaces = { "127.0.0.1" }
component_ports = { ${ports.component} }
s2s_ports = { }
modules_enabled = { "roster", "saslauth", "disco", "ping", "smacks", "offline", "unified_push"${tls === undefined ? '' : ', "tls"'} }
${tlsLines}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
storage = "internal"
http_default_host = ${lua(DOMAIN)}
-- Endpoints name the loopback address, so app servers reach them as they are.
http_external_url = ${lua(`http://127.0.0.1:${ports.http}/`)}
unified_push_registration_ttl = ${ttlSeconds}
VirtualHost ${lua(DOMAIN)}
Component ${lua(`evil.${DOMAIN}`)}
  component_secret = ${lua(componentSecret)}
`;
}

/** Commands run as the prosody user when we are root: Prosody refuses to run as root. */
function asProsody(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'prosody', '--', command, ...args]] : [command, args];
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPorts(child: ChildProcess, ports: number[], timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prosody exited with ${child.exitCode}:\n${log()}`);
    const open = await Promise.all(ports.map(canConnect));
    if (open.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`prosody not listening after ${timeoutMs} ms:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts a private Prosody 0.12 (Debian `prosody` + `prosody-modules`) on free loopback ports,
 * with its data in a scratch folder, users `alice` and `bob`, and `mod_unified_push` on the
 * host: the server a user of the XMPP channel already has.
 *
 * @example
 * await using prosody = await startProsody();
 * const channel = createXmppChannel({ jid: prosody.users[0].jid, password: prosody.users[0].password, host: prosody.host, port: prosody.c2sPort });
 */
export async function startProsody(options: StartProsodyOptions = {}): Promise<ProsodyRig> {
  const dir = mkdtempSync(join(tmpdir(), 'fosspush-prosody-'));
  const ports: Ports = { c2s: await freePort(), http: await freePort(), component: await freePort() };
  if (options.tls) ports.directTls = await freePort();
  const componentSecret = createHash('sha256').update(dir).digest('hex');
  const file = join(dir, 'prosody.cfg.lua');
  const certificates = options.tls ? makeCertificates(dir) : undefined;
  writeFileSync(file, config(dir, ports, options.registrationTtlSeconds ?? 86_400, componentSecret, certificates));
  if (process.getuid?.() === 0) {
    const prosodyUid = Number(execFileSync('id', ['-u', 'prosody']).toString().trim());
    const prosodyGid = Number(execFileSync('id', ['-g', 'prosody']).toString().trim());
    chownSync(dir, prosodyUid, prosodyGid);
    if (certificates) for (const path of [certificates.certificate, certificates.key]) chownSync(path, prosodyUid, prosodyGid);
  }
  const users: [ProsodyUser, ProsodyUser] = [
    { username: 'alice', password: 'alice-secret', jid: `alice@${DOMAIN}` },
    { username: 'bob', password: 'bob-secret', jid: `bob@${DOMAIN}` },
  ];
  const log = () => {
    try {
      return readFileSync(join(dir, 'prosody.log'), 'utf8');
    } catch {
      return '';
    }
  };
  try {
    for (const user of users) {
      const [command, args] = asProsody('prosodyctl', ['--config', file, 'register', user.username, DOMAIN, user.password]);
      execFileSync(command, args, { stdio: 'pipe' });
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot register Prosody users (apt-get install prosody prosody-modules): ${(error as Error).message}`);
  }

  let child: ChildProcess;
  const launch = async () => {
    const [command, args] = asProsody('prosody', ['--config', file, '-F']);
    child = spawn(command, args, { stdio: 'ignore' });
    await waitForPorts(child, [ports.c2s, ports.http, ports.component, ...(ports.directTls === undefined ? [] : [ports.directTls])], options.startTimeoutMs ?? 10_000, log);
  };
  const halt = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  try {
    await launch();
  } catch (error) {
    await halt();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= halt().then(() => {
      rmSync(dir, { recursive: true, force: true });
    }));
  return {
    domain: DOMAIN,
    host: '127.0.0.1',
    c2sPort: ports.c2s,
    httpPort: ports.http,
    users,
    component: { jid: `evil.${DOMAIN}`, port: ports.component, secret: componentSecret },
    tls: certificates && ports.directTls !== undefined ? { ca: certificates.ca, directTlsPort: ports.directTls } : undefined,
    dir,
    get pid() {
      return child.pid as number;
    },
    async restart() {
      await halt();
      await launch();
    },
    log,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * Speaks as the rig's external component (XEP-0114): sends raw stanzas from `component.jid`,
 * as a server component that misbehaves would.
 */
export async function connectProsodyComponent(rig: ProsodyRig): Promise<{ send(xml: string): void; received(): string; close(): void }> {
  const socket: Socket = connect(rig.component.port, rig.host);
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
  });
  const waitFor = async (pattern: RegExp) => {
    for (let tries = 0; tries < 200; tries++) {
      const match = pattern.exec(buffer);
      if (match) return match;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`component handshake: no ${pattern} in ${buffer}`);
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${rig.component.jid}'>`);
  const [, streamId] = (await waitFor(/<stream:stream[^>]*\sid=['"]([^'"]+)['"]/)) as RegExpExecArray;
  socket.write(`<handshake>${createHash('sha1').update(`${streamId}${rig.component.secret}`).digest('hex')}</handshake>`);
  await waitFor(/<handshake\s*\/>|<handshake><\/handshake>/);
  return {
    send: (xml) => socket.write(xml),
    received: () => buffer,
    close: () => socket.destroy(),
  };
}

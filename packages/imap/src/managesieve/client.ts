import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { FosspushError } from '@fosspush/core';
import { createResponseReader, literal, quoted, type SieveResponse } from './wire.js';

export interface ManageSieveConnectOptions {
  host: string;
  /** @default 4190 (RFC 5804) */
  port?: number;
  /** Implicit TLS; otherwise STARTTLS is used when offered. @default false */
  secure?: boolean;
  tls?: ConnectionOptions;
  /** @default 15_000 */
  timeoutMs?: number;
}

/** What the server announced (RFC 5804 section 1.7). */
export interface SieveCapabilities {
  implementation?: string;
  /** Sieve extensions the server runs, lower-case: `fileinto`, `mailbox`, `include`... */
  sieveExtensions: Set<string>;
  saslMechanisms: Set<string>;
  startTls: boolean;
}

export interface SieveScriptInfo {
  name: string;
  active: boolean;
}

/** A refusal (NO) from the server: the response code (`NONEXISTENT`, `QUOTA`...) is in `details.code`. */
function refusal(command: string, response: SieveResponse): FosspushError {
  const code = response.code?.split(/[\s/]/)[0]?.toUpperCase();
  const text = response.text ?? response.status;
  const details = { command, code };
  if (command === 'AUTHENTICATE') return new FosspushError('UNAUTHENTICATED', `ManageSieve refused the login: ${text}`, { details });
  return new FosspushError(response.status === 'BYE' ? 'UNAVAILABLE' : 'INVALID_REQUEST', `ManageSieve ${command}: ${text}`, { details });
}

function readCapabilities(response: SieveResponse): SieveCapabilities {
  const capabilities: SieveCapabilities = { sieveExtensions: new Set(), saslMechanisms: new Set(), startTls: false };
  for (const [name, value] of response.lines) {
    const key = name?.value.toUpperCase();
    const text = value?.value ?? '';
    if (key === 'IMPLEMENTATION') capabilities.implementation = text;
    else if (key === 'SIEVE') capabilities.sieveExtensions = new Set(text.toLowerCase().split(/\s+/).filter(Boolean));
    else if (key === 'SASL') capabilities.saslMechanisms = new Set(text.toUpperCase().split(/\s+/).filter(Boolean));
    else if (key === 'STARTTLS') capabilities.startTls = true;
  }
  return capabilities;
}

/** A loopback address (IPv4 127/8, IPv6 ::1, or IPv4-mapped 127/8): traffic never leaves the machine. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./i.test(address);
}

/**
 * A small ManageSieve client (RFC 5804): the commands a setup helper needs, one at a time.
 *
 * @example
 * const sieve = await ManageSieveClient.connect({ host: 'mail.example.org' });
 * await sieve.authenticate('alice', password);
 * console.log(await sieve.listScripts());
 * await sieve.logout();
 */
export class ManageSieveClient {
  capabilities: SieveCapabilities;
  private socket: Socket;
  private reader = createResponseReader();
  private readonly timeoutMs: number;

  private constructor(socket: Socket, timeoutMs: number) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    this.capabilities = { sieveExtensions: new Set(), saslMechanisms: new Set(), startTls: false };
    this.attach(socket);
  }

  static async connect(options: ManageSieveConnectOptions): Promise<ManageSieveClient> {
    const port = options.port ?? 4190;
    const timeoutMs = options.timeoutMs ?? 15_000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const onError = (cause: Error) =>
        reject(new FosspushError('UNAVAILABLE', `cannot reach ManageSieve at ${options.host}:${port}: ${cause.message}`, { cause }));
      const opened = options.secure
        ? tlsConnect({ ...options.tls, host: options.host, port, servername: options.tls?.servername ?? options.host }, () => resolve(opened))
        : netConnect({ host: options.host, port }, () => resolve(opened));
      opened.once('error', onError);
      opened.setTimeout(timeoutMs, () => opened.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    });
    const client = new ManageSieveClient(socket, timeoutMs);
    try {
      client.capabilities = readCapabilities(await client.expectOk('greeting'));
      if (!options.secure && client.capabilities.startTls) await client.startTls(options);
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  private attach(socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', (cause) => this.reader.end(new FosspushError('UNAVAILABLE', `ManageSieve connection failed: ${cause.message}`, { cause })));
    socket.on('close', () => this.reader.end(new FosspushError('UNAVAILABLE', 'the ManageSieve server closed the connection')));
  }

  private async expectOk(command: string): Promise<SieveResponse> {
    const response = await this.reader.response();
    if (response.status !== 'OK') throw refusal(command, response);
    return response;
  }

  private async command(line: string, name: string): Promise<SieveResponse> {
    this.socket.write(`${line}\r\n`);
    return this.expectOk(name);
  }

  private async startTls(options: ManageSieveConnectOptions) {
    await this.command('STARTTLS', 'STARTTLS');
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    this.reader = createResponseReader();
    this.socket = await new Promise<Socket>((resolve, reject) => {
      const secured = tlsConnect({ ...options.tls, socket: plain, servername: options.tls?.servername ?? options.host }, () => resolve(secured));
      secured.once('error', (cause) => reject(new FosspushError('UNAVAILABLE', `ManageSieve STARTTLS failed: ${cause.message}`, { cause })));
    });
    this.socket.setTimeout(this.timeoutMs, () => this.socket.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
    this.attach(this.socket);
    // RFC 5804 section 2.2: the server sends its capabilities again after the TLS handshake.
    this.capabilities = readCapabilities(await this.expectOk('STARTTLS'));
  }

  get secure(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  /** Whether the server is this machine (a loopback address), where plaintext cannot be overheard. */
  get loopback(): boolean {
    return isLoopbackAddress(this.socket.remoteAddress ?? '');
  }

  /** SASL PLAIN (RFC 4616) with the initial response. */
  async authenticate(user: string, password: string): Promise<void> {
    if (!this.capabilities.saslMechanisms.has('PLAIN')) {
      throw new FosspushError('UNAVAILABLE', `the ManageSieve server offers no SASL PLAIN (it offers ${[...this.capabilities.saslMechanisms].join(', ') || 'nothing'})`);
    }
    const initial = Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
    await this.command(`AUTHENTICATE "PLAIN" ${quoted(initial)}`, 'AUTHENTICATE');
  }

  async listScripts(): Promise<SieveScriptInfo[]> {
    const response = await this.command('LISTSCRIPTS', 'LISTSCRIPTS');
    return response.lines
      .filter(([name]) => name?.kind === 'string')
      .map(([name, flag]) => ({ name: name?.value ?? '', active: flag?.kind === 'atom' && flag.value.toUpperCase() === 'ACTIVE' }));
  }

  async getScript(name: string): Promise<string> {
    const response = await this.command(`GETSCRIPT ${quoted(name)}`, 'GETSCRIPT');
    return response.lines[0]?.[0]?.value ?? '';
  }

  /** Stores a script; the server compiles it first and refuses (INVALID_REQUEST) one it cannot run. */
  async putScript(name: string, script: string): Promise<void> {
    await this.command(`PUTSCRIPT ${quoted(name)} ${literal(script)}`, 'PUTSCRIPT');
  }

  async setActive(name: string): Promise<void> {
    await this.command(`SETACTIVE ${quoted(name)}`, 'SETACTIVE');
  }

  /** Says goodbye (waiting at most a second for the answer) and closes the connection. */
  async logout(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      this.socket.write('LOGOUT\r\n');
      await Promise.race([this.reader.response(), new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    } catch {
      // The server may close before answering; either way the session is over.
    } finally {
      clearTimeout(timer);
      this.close();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

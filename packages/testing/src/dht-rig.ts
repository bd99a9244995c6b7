import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One dhtnode with its REST proxy, reached from the host at `url`. */
export interface DhtProxyNode {
  /** `http://127.0.0.1:PORT`: the proxy, as a device or an app server reaches it. */
  readonly url: string;
  /** Whether the dhtnode process runs. */
  readonly running: boolean;
  /** Stops the node (SIGTERM); its values stay on the other nodes. */
  stop(): Promise<void>;
  /** Starts it again, bootstrapped from another node, and waits until its proxy answers. */
  start(): Promise<void>;
}

export interface DhtRig {
  readonly nodes: readonly DhtProxyNode[];
  /** Stops every process and deletes the network namespace and the scratch folder. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartDhtRigOptions {
  /** Nodes, each with a proxy; a put needs a second node to answer 200. @default 2 */
  nodes?: number;
  /** @default 15000 */
  startTimeoutMs?: number;
}

const DHT_PORT = 4222;
const PROXY_PORT = 8080;
const BRIDGE = fileURLToPath(new URL('./netns-bridge.mjs', import.meta.url));

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function waitForProxy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) {
        await response.text();
        return;
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`dhtnode proxy at ${url} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

/** A TCP listener on the host's loopback whose connections go through the bridge's Unix socket. */
async function hostForwarder(socketPath: string): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(socketPath);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('forwarder has no port');
  return { server, port: address.port, sockets };
}

/**
 * Starts real OpenDHT nodes (Debian's `dhtnode`), each with its REST proxy, in a network
 * namespace of their own: dhtnode binds its UDP socket to 0.0.0.0 with no flag to change it, and
 * inside the namespace that is only the namespace's loopback. The host reaches each proxy on
 * 127.0.0.1 through a Unix-socket bridge. Needs root (`ip netns`).
 *
 * @example
 * await using dht = await startDhtRig();
 * const channel = createDhtChannel({ proxies: dht.nodes.map((node) => node.url) });
 */
export async function startDhtRig(options: StartDhtRigOptions = {}): Promise<DhtRig> {
  const count = options.nodes ?? 2;
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const namespace = `fpdht-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'fosspush-dht-'));
  try {
    ip('netns', 'add', namespace);
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot make a network namespace for dhtnode (needs root and iproute2): ${(error as Error).message}`);
  }

  const children = new Set<ChildProcess>();
  const forwarders: Array<Awaited<ReturnType<typeof hostForwarder>>> = [];
  const inNamespace = (command: string, args: string[]): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.resume();
    child.stderr?.resume();
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  const nodes: DhtProxyNode[] = [];
  const stopAll = async () => {
    await Promise.all([...children].map(stopChild));
    for (const forwarder of forwarders) {
      for (const socket of forwarder.sockets) socket.destroy();
      forwarder.server.close();
    }
    try {
      ip('netns', 'del', namespace);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let index = 0; index < count; index++) {
      const socketPath = join(dir, `proxy-${index}.sock`);
      const bridge = inNamespace(process.execPath, [BRIDGE, socketPath, '127.0.0.1', String(PROXY_PORT + index)]);
      await once(bridge.stdout as NodeJS.ReadableStream, 'data');
      const forwarder = await hostForwarder(socketPath);
      forwarders.push(forwarder);
      const url = `http://127.0.0.1:${forwarder.port}`;
      let child: ChildProcess | undefined;
      const args = ['-s', '-p', String(DHT_PORT + index), '--proxyserver', String(PROXY_PORT + index), '--proxy-addr', '127.0.0.1'];
      const bootstrap = (): string[] => {
        const peer = index === 0 ? (count > 1 ? 1 : undefined) : 0;
        return peer === undefined ? [] : ['-b', `127.0.0.1:${DHT_PORT + peer}`];
      };
      const node: DhtProxyNode = {
        url,
        get running() {
          return child !== undefined && child.exitCode === null && child.signalCode === null;
        },
        async start() {
          if (node.running) return;
          child = inNamespace('dhtnode', [...args, ...bootstrap()]);
          await waitForProxy(url, timeoutMs);
        },
        async stop() {
          for (const socket of forwarder.sockets) socket.destroy();
          await stopChild(child);
        },
      };
      // The first node starts alone; the others bootstrap from it.
      child = inNamespace('dhtnode', index === 0 ? args : [...args, ...bootstrap()]);
      await waitForProxy(url, timeoutMs);
      nodes.push(node);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  return {
    nodes,
    stop: stopAll,
    [Symbol.asyncDispose]: stopAll,
  };
}

import { type Channel, generateSubscriptionKeys, type SubscriptionKeys } from '@fosspush/core';
import { buildPushRequest } from '@fosspush/webpush/app-server';
import { createWebSocketChannel } from '@fosspush/websocket';

export interface FleetOptions {
  /** Server node base URLs; device i connects to node i mod n, senders pick any node. */
  nodes: readonly string[];
  devices: number;
  subscriptionsPerDevice: number;
  /** Messages per second, over all devices. */
  messagesPerSecond: number;
  /** A device stays connected this long, then leaves for `awayMs`. */
  connectedMs: readonly [min: number, max: number];
  awayMs: readonly [min: number, max: number];
}

interface Target {
  registrationId: string;
  endpoint: string;
  keys: SubscriptionKeys;
}

/** How many times each accepted message reached its device's consumer. */
export interface FleetTally {
  accepted: number;
  /** Refused or unreachable posts (restarts, Redis down): not accepted, so not owed. */
  refused: number;
  received: number;
  /** Accepted messages not (yet) handed to their device. */
  missing: number;
  /** Deliveries beyond the first, to the same device. */
  duplicates: number;
  connects: number;
  departures: number;
}

const between = ([min, max]: readonly [number, number]) => min + Math.random() * (max - min);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Device {
  readonly channel: Channel;
  readonly received = new Map<string, number>();
  readonly accepted = new Set<string>();
  targets: Target[] = [];
  /** Stops the connect/leave cycle. */
  retiring = false;
  private cycle: Promise<void> | undefined;

  constructor(
    readonly serverUrl: string,
    private readonly tally: FleetTally,
  ) {
    this.channel = createWebSocketChannel({ serverUrl, reconnect: { initialDelayMs: 200, maxDelayMs: 2000 } });
    this.channel.on('message', ({ registrationId, message }) => {
      const count = (this.received.get(message.id) ?? 0) + 1;
      this.received.set(message.id, count);
      if (count > 1) tally.duplicates++;
      else if (this.accepted.has(message.id)) tally.received++;
      void this.channel.ack(registrationId, message.id).catch(() => undefined);
    });
  }

  async join(subscriptions: number): Promise<void> {
    await this.connect();
    for (let i = 0; i < subscriptions; i++) {
      const { registrationId, endpoint } = await retry(() => this.channel.subscribe({}));
      this.targets.push({ registrationId, endpoint, keys: await generateSubscriptionKeys() });
    }
  }

  async connect(): Promise<void> {
    await retry(() => this.channel.connect());
    this.tally.connects++;
  }

  /** Connects and leaves at random intervals until retired. */
  startCycling(options: FleetOptions): void {
    this.cycle = (async () => {
      while (!this.retiring) {
        await sleep(between(options.connectedMs));
        if (this.retiring) break;
        await this.channel.close();
        await sleep(between(options.awayMs));
        if (this.retiring) break;
        await this.connect();
      }
    })();
  }

  /** Ends the cycle connected, so the device can drain what is queued for it. */
  async settle(): Promise<void> {
    this.retiring = true;
    await this.cycle;
    if (this.channel.state !== 'connected') await this.connect();
  }

  missing(): string[] {
    return [...this.accepted].filter((id) => !this.received.has(id));
  }
}

async function retry<T>(work: () => Promise<T>, attempts = 60): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(1000);
    }
  }
}

/**
 * Devices that come and go, and an app server posting at a steady rate to whichever node. It
 * keeps the books the soak is judged by: every 201 must reach its device once.
 */
export class Fleet {
  readonly tally: FleetTally = { accepted: 0, refused: 0, received: 0, missing: 0, duplicates: 0, connects: 0, departures: 0 };
  private readonly devices: Device[] = [];
  /** Devices that left for good, and what they were still owed when they left. */
  private lostOnDeparture = 0;
  private sending = false;
  private sender: Promise<void> | undefined;
  private inFlight = 0;
  private joined = 0;
  /** Accepted ids still missing when the soak ended, for the post-mortem. */
  missingIds: string[] = [];

  constructor(private readonly options: FleetOptions) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.options.devices; i++) await this.addDevice();
    this.sending = true;
    this.sender = this.send();
  }

  private async addDevice(): Promise<void> {
    const device = new Device(this.options.nodes[this.joined++ % this.options.nodes.length] as string, this.tally);
    await device.join(this.options.subscriptionsPerDevice);
    device.startCycling(this.options);
    this.devices.push(device);
  }

  /**
   * One device leaves for good and a new one joins: the leaver first drains what it is owed,
   * then unsubscribes, as an uninstalled app's daemon would.
   */
  async churn(): Promise<void> {
    const leaver = this.devices.shift();
    if (!leaver) return;
    await leaver.settle();
    await waitUntil(() => leaver.missing().length === 0, 60_000);
    this.lostOnDeparture += leaver.missing().length;
    for (const target of leaver.targets) await leaver.channel.unsubscribe(target.registrationId).catch(() => undefined);
    await leaver.channel.close();
    this.tally.departures++;
    await this.addDevice();
  }

  private async send(): Promise<void> {
    const intervalMs = 1000 / this.options.messagesPerSecond;
    let next = performance.now();
    for (let n = 0; this.sending; n++) {
      next += intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      // A bound on posts in flight: a stalled node must not pile up sockets in the runner.
      if (this.inFlight >= 50) continue;
      const device = this.devices[Math.floor(Math.random() * this.devices.length)];
      const target = device?.targets[Math.floor(Math.random() * device.targets.length)];
      if (!device || device.retiring || !target) continue;
      const node = this.options.nodes[n % this.options.nodes.length] as string;
      this.inFlight++;
      void this.post(device, target, node, `soak-${n}`).finally(() => this.inFlight--);
    }
  }

  private async post(device: Device, target: Target, node: string, text: string): Promise<void> {
    try {
      const endpoint = new URL(new URL(target.endpoint).pathname, node).href;
      const request = await buildPushRequest({ endpoint, keys: target.keys }, text, { ttlSeconds: 86_400 });
      const response = await fetch(request.url, { ...request, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      const id = response.status === 201 ? response.headers.get('location')?.split('/').pop() : undefined;
      if (!id) {
        this.tally.refused++;
        return;
      }
      this.tally.accepted++;
      device.accepted.add(id);
      if (device.received.has(id)) this.tally.received++;
    } catch {
      this.tally.refused++;
    }
  }

  /** Stops posting, brings every device online and waits for it to drain. */
  async finish(drainTimeoutMs: number): Promise<FleetTally> {
    this.sending = false;
    await this.sender;
    await waitUntil(() => this.inFlight === 0, 20_000);
    await Promise.all(this.devices.map((device) => device.settle()));
    await waitUntil(() => this.devices.every((device) => device.missing().length === 0), drainTimeoutMs);
    this.missingIds = this.devices.flatMap((device) => device.missing());
    this.tally.missing = this.lostOnDeparture + this.devices.reduce((sum, device) => sum + device.missing().length, 0);
    await Promise.all(this.devices.map((device) => device.channel.close()));
    return this.tally;
  }

  get connectedDevices(): number {
    return this.devices.filter((device) => device.channel.state === 'connected').length;
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done() && performance.now() < deadline) await sleep(250);
}

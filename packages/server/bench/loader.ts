// A benchmark child that posts push messages as cheaply as a client can: raw HTTP/1.1 over
// keep-alive sockets with pipelining, so the server (not the client) is what gets measured.
import { connect, type Socket } from 'node:net';
import { serveParent } from './ipc.js';
import { benchPayload } from './payload.js';

interface Target {
  host: string;
  port: number;
  paths: string[];
}

interface Pipeline {
  socket: Socket;
  target: Target;
  inFlight: number;
}

const statuses = new Map<number, number>();
let pipelines: Pipeline[] = [];
let running = false;
let sent = 0;
let next = 0;
let rateTimer: NodeJS.Timeout | undefined;

function request(target: Target): Buffer {
  const path = target.paths[next++ % target.paths.length] as string;
  const body = benchPayload();
  const head = `POST ${path} HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\nttl: 60\r\ncontent-encoding: aes128gcm\r\ncontent-length: ${body.length}\r\n\r\n`;
  sent++;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Reads pipelined responses: status line, headers, then a Content-Length or empty chunked body. */
function readResponses(pipeline: Pipeline, onResponse: () => void): void {
  let buffer: Buffer = Buffer.alloc(0);
  pipeline.socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
      const bodyLength = Number.isNaN(length) ? (buffer.indexOf('0\r\n\r\n', end + 4) < 0 ? -1 : 5) : length;
      if (bodyLength < 0 || buffer.length < end + 4 + bodyLength) return;
      buffer = buffer.subarray(end + 4 + bodyLength);
      const status = Number(head.slice(9, 12));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      pipeline.inFlight--;
      onResponse();
    }
  });
}

async function openPipelines(targets: Target[], socketsPerTarget: number, onResponse: (pipeline: Pipeline) => void): Promise<void> {
  pipelines = [];
  for (const target of targets) {
    for (let i = 0; i < socketsPerTarget; i++) {
      const socket = connect(target.port, target.host);
      socket.setNoDelay(true);
      await new Promise((resolve) => socket.once('connect', resolve));
      const pipeline: Pipeline = { socket, target, inFlight: 0 };
      readResponses(pipeline, () => onResponse(pipeline));
      pipelines.push(pipeline);
    }
  }
}

function fill(pipeline: Pipeline, window: number): void {
  const batch: Buffer[] = [];
  while (running && pipeline.inFlight < window) {
    batch.push(request(pipeline.target));
    pipeline.inFlight++;
  }
  if (batch.length > 0) pipeline.socket.write(Buffer.concat(batch));
}

serveParent({
  /** As fast as the server answers: every socket keeps `window` requests in flight. */
  async flood(args: { targets: Target[]; sockets: number; window: number }) {
    running = true;
    await openPipelines(args.targets, args.sockets, (pipeline) => fill(pipeline, args.window));
    for (const pipeline of pipelines) fill(pipeline, args.window);
  },
  /** A steady rate, spread over the sockets, whatever the answers do. */
  async steady(args: { targets: Target[]; sockets: number; ratePerSecond: number }) {
    running = true;
    await openPipelines(args.targets, args.sockets, () => undefined);
    const started = performance.now();
    let due = 0;
    rateTimer = setInterval(() => {
      const target = Math.floor(((performance.now() - started) / 1000) * args.ratePerSecond);
      for (; due < target; due++) {
        const pipeline = pipelines[due % pipelines.length] as Pipeline;
        pipeline.inFlight++;
        pipeline.socket.write(request(pipeline.target));
      }
    }, 2);
  },
  async stop() {
    running = false;
    clearInterval(rateTimer);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const pipeline of pipelines) pipeline.socket.destroy();
    const result = { sent, statuses: Object.fromEntries(statuses) };
    sent = 0;
    statuses.clear();
    return result;
  },
});

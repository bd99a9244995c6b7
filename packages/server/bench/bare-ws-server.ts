// The floor: a bare `ws` relay with no validation, storage, acks or limits. POST /p/<id> sends
// the body to the socket that registered <id>; a device registers its ids in the upgrade URL.
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { serveParent, settledMemory } from './ipc.js';

const devices = new Map<string, WebSocket>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
let nextId = 0;
const server = createServer((req, res) => {
  const id = req.url?.startsWith('/p/') ? req.url.slice(3) : '';
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const device = devices.get(id);
    if (!device) return void res.writeHead(404).end();
    device.send(JSON.stringify({ type: 'msg', id: String(++nextId), sub: id, payload: Buffer.concat(chunks).toString('base64url') }));
    res.writeHead(201).end();
  });
});
server.on('upgrade', (req, socket, head) => {
  const ids = (new URL(req.url ?? '/', 'http://x').searchParams.get('subs') ?? '').split(',');
  wss.handleUpgrade(req, socket, head, (ws) => {
    for (const id of ids) devices.set(id, ws);
    ws.on('close', () => {
      for (const id of ids) devices.delete(id);
    });
  });
});
server.maxConnections = 100_000;

serveParent({
  listen: () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`))),
  memory: () => settledMemory(),
});

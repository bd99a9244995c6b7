import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isFosspushError, toFosspushError } from '@fosspush/core';
import { dataFromBody } from './data-input.js';

const MAX_BODY_BYTES = 4096;

export interface DemoEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`the body is over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * `POST /send` for the demo: curl cannot encrypt to the app's keys, so this endpoint plays the
 * app server and does it (with the sender SDK) for whatever body it gets. Loopback only.
 */
export async function startDemoEndpoint(send: (data: Record<string, string>) => Promise<string>, port = 0): Promise<DemoEndpoint> {
  const server: Server = createServer((request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(`${JSON.stringify(body)}\n`);
    };
    if (request.url !== '/send' || request.method !== 'POST') {
      reply(404, { error: 'POST /send with a form, a JSON object or plain text' });
      return;
    }
    readBody(request)
      .then((body) => send(dataFromBody(body, request.headers['content-type'])))
      .then(
        (messageId) => reply(200, { messageId }),
        (error: unknown) => {
          const known = toFosspushError(error);
          reply(isFosspushError(known, 'INVALID_REQUEST') ? 400 : 502, { error: known.message, code: known.code });
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actualPort}/send`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

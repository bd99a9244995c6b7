import { type AddressInfo, createServer, type Socket } from 'node:net';

export interface ScriptedSmtp {
  port: number;
  /** RCPT commands received so far: one per submission of a one-recipient mail. */
  submissions(): number;
  close(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 that answers RCPT with `rcptReplies` in turn, then `250`: the way
 * to see a transient refusal (a 4xx), or one that lasts, which a real server does not give on
 * demand. Everything else is accepted.
 *
 * @example
 * const smtp = await startScriptedSmtp(['451 4.3.0 try again later']);
 * // the first submission is refused, the second accepted; smtp.submissions() counts them
 */
export async function startScriptedSmtp(rcptReplies: readonly string[]): Promise<ScriptedSmtp> {
  let submissions = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.write('220 scripted ESMTP\r\n');
    let data = false;
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let eol = buffer.indexOf('\r\n'); eol >= 0; eol = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        if (data) {
          if (line === '.') {
            data = false;
            socket.write('250 2.0.0 queued\r\n');
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-scripted\r\n250 PIPELINING\r\n');
        else if (verb === 'RCPT') socket.write(`${rcptReplies[submissions++] ?? '250 2.1.5 ok'}\r\n`);
        else if (verb === 'DATA') {
          data = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    submissions: () => submissions,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

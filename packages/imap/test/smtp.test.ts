import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createSmtpTransport, type SmtpTransport } from '../src/index.js';
import { count, inspector, rigControl, rigInfo, rigUser } from './helpers.js';

const info = rigInfo();
const user = rigUser(info, 'smtp');
const mail = (to: string, subject = 'hello') => ({ raw: `From: app@example.org\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nhi\r\n`, from: 'app@example.org', to });

/**
 * An SMTP server that answers RCPT with the given replies in turn, then 250: the way to see a
 * transient refusal followed by success, which a real server does not do on demand.
 */
async function scriptedSmtp(rcptReplies: string[]): Promise<{ port: number; attempts: () => number; server: Server }> {
  let attempts = 0;
  const server = createServer((socket) => {
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
        else if (verb === 'RCPT') socket.write(`${rcptReplies[attempts++] ?? '250 2.1.5 ok'}\r\n`);
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
  return { port: (server.address() as AddressInfo).port, attempts: () => attempts, server };
}

describe('createSmtpTransport', () => {
  const transports: SmtpTransport[] = [];
  const open = (options: Parameters<typeof createSmtpTransport>[0]) => {
    const transport = createSmtpTransport({ retryDelayMs: 10, ...options });
    transports.push(transport);
    return transport;
  };
  afterAll(async () => {
    for (const transport of transports) await transport.close();
  });

  it('submits mail through Postfix, with SMTP AUTH, into the mailbox', async () => {
    await rigControl(info).clear('smtp');
    const smtp = open({ host: info.host, port: info.ports.smtp, auth: { user: user.name, pass: user.password } });
    await smtp.verify();
    const result = await smtp.send(mail(user.address));
    expect(result.attempts).toBe(1);
    expect(result.response).toMatch(/^250 /);
    const client = await inspector(info, 'smtp');
    try {
      await expect.poll(() => count(client, 'INBOX'), { timeout: 10_000 }).toBe(1);
    } finally {
      await client.logout();
    }
  });

  it('refuses an unknown recipient as INVALID_REQUEST, without retrying (5xx is permanent)', async () => {
    const smtp = open({ host: info.host, port: info.ports.smtp });
    const error = await smtp.send(mail(`nobody@${info.domain}`)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', details: { smtpCode: 550 } });
    expect((error as { details: Record<string, unknown> }).details['attempts']).toBeUndefined();
  });

  it('reports a wrong password as UNAUTHENTICATED', async () => {
    const smtp = open({ host: info.host, port: info.ports.smtp, auth: { user: user.name, pass: 'wrong' } });
    await expect(smtp.send(mail(user.address))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('retries a transient refusal (4xx) and succeeds', async () => {
    const scripted = await scriptedSmtp(['451 4.3.0 try again later']);
    try {
      const smtp = open({ host: '127.0.0.1', port: scripted.port, retries: 2 });
      expect(await smtp.send(mail('alice@example.test'))).toMatchObject({ attempts: 2 });
      expect(scripted.attempts()).toBe(2);
    } finally {
      scripted.server.close();
    }
  });

  it('gives up on a lasting 4xx after its retries, as UNAVAILABLE', async () => {
    const scripted = await scriptedSmtp(['450 4.2.1 busy', '450 4.2.1 busy', '450 4.2.1 busy']);
    try {
      const smtp = open({ host: '127.0.0.1', port: scripted.port, retries: 2 });
      await expect(smtp.send(mail('alice@example.test'))).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { attempts: 3, smtpCode: 450 } });
      expect(scripted.attempts()).toBe(3);
    } finally {
      scripted.server.close();
    }
  });

  it('reports an unreachable server as UNAVAILABLE after its retries', async () => {
    const closed = await scriptedSmtp([]);
    const port = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
    const smtp = open({ host: '127.0.0.1', port, retries: 1 });
    await expect(smtp.send(mail('alice@example.test'))).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { attempts: 2 } });
  });
});

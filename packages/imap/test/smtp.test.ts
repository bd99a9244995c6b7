import { startScriptedSmtp } from '@fosspush/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createSmtpTransport, type SmtpTransport } from '../src/index.js';
import { count, inspector, rigControl, rigInfo, rigUser } from './helpers.js';

const info = rigInfo();
const user = rigUser(info, 'smtp');
const mail = (to: string, subject = 'hello') => ({ raw: `From: app@example.org\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nhi\r\n`, from: 'app@example.org', to });

describe('createSmtpTransport', () => {
  const transports: SmtpTransport[] = [];
  const open = (options: Parameters<typeof createSmtpTransport>[0]) => {
    const transport = createSmtpTransport(options);
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

  // Retries are the sender's (its send engine, one layer for every channel): the transport
  // submits once. packages/sender/test/email-retries.test.ts counts the submissions end to end.
  it('reports a transient refusal (4xx) as UNAVAILABLE after one submission', async () => {
    const scripted = await startScriptedSmtp(['451 4.3.0 try again later']);
    try {
      const smtp = open({ host: '127.0.0.1', port: scripted.port });
      await expect(smtp.send(mail('alice@example.test'))).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { smtpCode: 451 } });
      expect(scripted.submissions()).toBe(1);
      expect(await smtp.send(mail('alice@example.test'))).toMatchObject({ response: expect.stringMatching(/^250 /) });
      expect(scripted.submissions()).toBe(2);
    } finally {
      await scripted.close();
    }
  });

  it('reports an unreachable server as UNAVAILABLE', async () => {
    const closed = await startScriptedSmtp([]);
    const port = closed.port;
    await closed.close();
    const smtp = open({ host: '127.0.0.1', port });
    await expect(smtp.send(mail('alice@example.test'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

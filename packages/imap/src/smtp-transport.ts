import { FosspushError, isFosspushError, withDefaults } from '@fosspush/core';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

/** Where app servers submit notification mail: an SMTP submission server. */
export interface SmtpTransportOptions {
  host: string;
  /** @default 465 with `secure`, else 587 */
  port?: number;
  /**
   * Implicit TLS (port 465). Without it the connection is upgraded with STARTTLS when the
   * server offers it.
   * @default false
   */
  secure?: boolean;
  auth?: { user: string; pass: string };
  /** node:tls options, e.g. a private CA. */
  tls?: SMTPPool.Options['tls'];
  /** Connections kept open in the pool. @default 5 */
  maxConnections?: number;
  /** Mails sent over one connection before it is replaced. @default 100 */
  maxMessages?: number;
  /** Connection, greeting and socket timeout. @default 30_000 */
  timeoutMs?: number;
  /** Escape hatch: further nodemailer SMTP pool options (DKIM signing, a proxy, logging...). */
  transportOptions?: Partial<SMTPPool.Options>;
}

export const SMTP_TRANSPORT_DEFAULTS = {
  secure: false,
  maxConnections: 5,
  maxMessages: 100,
  timeoutMs: 30_000,
} satisfies Partial<SmtpTransportOptions>;

/** One complete RFC 5322 message and its envelope: what `buildNotificationEmail` produces. */
export interface OutgoingMail {
  raw: string;
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipient (RCPT TO). */
  to: string;
}

export interface SmtpSendResult {
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as 4F1B2`. */
  response: string;
}

export interface SmtpTransport {
  /**
   * Submits one mail, once. Rejects with UNAVAILABLE (4xx, network: worth retrying),
   * INVALID_REQUEST (5xx), UNAUTHENTICATED, PAYLOAD_TOO_LARGE.
   */
  send(mail: OutgoingMail): Promise<SmtpSendResult>;
  /** Checks that the server is reachable and accepts the credentials. */
  verify(): Promise<void>;
  close(): Promise<void>;
}

interface NodemailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/**
 * nodemailer's errors as FosspushErrors. RFC 5321 section 4.2.1: 4yz replies are transient,
 * 5yz permanent. 535 (RFC 4954) is a refused login; 552 and 5.3.4 a message too big.
 */
export function toSmtpError(error: unknown): FosspushError {
  if (isFosspushError(error)) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as NodemailerError;
  const message = fields.response ?? fields.message ?? String(error);
  const details = { smtpCode: fields.responseCode, smtpError: fields.code };
  const reply = fields.responseCode ?? 0;
  if (fields.code === 'EAUTH' || reply === 535 || reply === 534) {
    return new FosspushError('UNAUTHENTICATED', `the SMTP server refused the login: ${message}`, { cause: error, details });
  }
  if (reply >= 500) {
    if (reply === 552 || /\b5\.3\.4\b/.test(message)) {
      return new FosspushError('PAYLOAD_TOO_LARGE', `the SMTP server refused the mail as too large: ${message}`, { cause: error, details });
    }
    return new FosspushError('INVALID_REQUEST', `the SMTP server refused the mail: ${message}`, { cause: error, details });
  }
  return new FosspushError('UNAVAILABLE', `SMTP: ${message}`, { cause: error, details });
}

/**
 * Pooled SMTP submission for the sender SDK (`new Sender({ email: { identity, smtp } })`):
 * complete mails go out as they are, over a few long-lived connections. It does not retry: the
 * sender's send engine retries transient failures (UNAVAILABLE) for every channel alike, with
 * the app server's `retries` setting and Retry-After handling; a second retry loop here
 * multiplied the two (3 x 6 = 18 submissions for one lasting 4xx). A retried mail may arrive
 * twice when the first attempt's reply was lost; the receiver's seen-id store delivers it once
 * (Email-notify spec section 7.2).
 *
 * @example
 * const smtp = createSmtpTransport({ host: 'smtp.example.org', auth: { user, pass } });
 * await smtp.send({ raw: mail.raw, from: 'push@app.example', to: 'alice@example.org' });
 */
export function createSmtpTransport(options: SmtpTransportOptions): SmtpTransport {
  const config = withDefaults(SMTP_TRANSPORT_DEFAULTS, options);
  if (typeof config.host !== 'string' || config.host === '') throw new FosspushError('INVALID_REQUEST', 'createSmtpTransport needs a host');
  const transport = nodemailer.createTransport({
    ...options.transportOptions,
    pool: true,
    host: config.host,
    port: config.port ?? (config.secure ? 465 : 587),
    secure: config.secure,
    ...(config.auth === undefined ? {} : { auth: config.auth }),
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    maxConnections: config.maxConnections,
    maxMessages: config.maxMessages,
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
  } satisfies SMTPPool.Options);

  return {
    async send(mail) {
      if (typeof mail?.raw !== 'string' || typeof mail.from !== 'string' || typeof mail.to !== 'string') {
        throw new FosspushError('INVALID_REQUEST', 'send needs { raw, from, to } strings');
      }
      const info = await transport.sendMail({ envelope: { from: mail.from, to: [mail.to] }, raw: mail.raw }).catch((error: unknown) => {
        throw toSmtpError(error);
      });
      if (info.rejected.length > 0) {
        throw new FosspushError('INVALID_REQUEST', `the SMTP server refused the recipient ${mail.to}`, { details: { rejected: info.rejected.map(String) } });
      }
      return { response: info.response };
    },
    async verify() {
      try {
        await transport.verify();
      } catch (error) {
        throw toSmtpError(error);
      }
    },
    async close() {
      transport.close();
    },
  };
}

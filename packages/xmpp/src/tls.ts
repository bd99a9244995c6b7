import { FosspushError } from '@fosspush/core';
import type { Client } from '@xmpp/client';
import { xml } from '@xmpp/client';
import { once } from 'node:events';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Element } from './protocol.js';

const STREAMS_NS = 'http://etherx.jabber.org/streams';
const TLS_NS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** What a certificate that does not verify looks like in Node's TLS errors. */
const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A server certificate the channel does not trust, as a permanent UNAUTHENTICATED (the server
 * failed to prove who it is; retrying will not change that), or undefined for any other error.
 */
export function untrustedCertificate(error: unknown, server: string): FosspushError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !CERTIFICATE_ERRORS.has(code)) return undefined;
  return new FosspushError('UNAUTHENTICATED', `the TLS certificate of ${server} is not trusted (${code}): give the channel its CA with \`ca\` (fosspushd: caFile)`, {
    details: { permanent: true, tlsError: code },
    cause: error,
  });
}

/** The parts of @xmpp/client's Client this module reaches into (not in its public types). */
interface ClientInternals {
  socket: { secure?: boolean } | null;
  socketParameters(service: string): Record<string, unknown> | undefined;
  sendReceive(element: Element): Promise<Element>;
  restart(): Promise<void>;
  _attachSocket(socket: unknown): void;
  _detachSocket(): void;
  prependListener(event: 'element', listener: (element: Element) => void): void;
}

export interface TlsTrust {
  /** The XMPP domain the certificate must name. */
  domain: string;
  /** CA certificates (PEM) to trust instead of the system's. */
  ca: string | readonly string[];
}

/**
 * Makes an @xmpp/client Client check the server certificate against `trust.ca`, for both
 * direct TLS and STARTTLS: @xmpp/client 0.14 passes no TLS options of its own. Direct TLS
 * takes them through the socket parameters. For STARTTLS the stream features are taken
 * before xmpp.js's own STARTTLS step sees them (it cannot be given a CA), and the upgrade is
 * done here; the restarted stream then goes on as usual (SASL, bind).
 * `onFailure` gets what went wrong during the upgrade (an untrusted certificate above all).
 */
export function trustCertificates(xmpp: Client, trust: TlsTrust, onFailure: (error: unknown) => void): void {
  const client = xmpp as unknown as ClientInternals;
  const options = { ca: typeof trust.ca === 'string' ? trust.ca : [...trust.ca], servername: trust.domain };
  const socketParameters = client.socketParameters.bind(client);
  client.socketParameters = (service) => {
    const parameters = socketParameters(service);
    return parameters !== undefined && service.startsWith('xmpps:') ? { ...parameters, ...options } : parameters;
  };

  async function upgrade(): Promise<void> {
    const answer = await client.sendReceive(xml('starttls', { xmlns: TLS_NS }));
    if (!answer.is('proceed', TLS_NS)) throw new FosspushError('UNAVAILABLE', 'the XMPP server refused STARTTLS');
    const plain = client.socket;
    const secured: TLSSocket & { secure?: boolean } = tlsConnect({ socket: plain as never, host: trust.domain, ...options });
    await once(secured, 'secureConnect');
    // What @xmpp/connection reads for isSecure().
    secured.secure = true;
    client._detachSocket();
    client._attachSocket(secured);
    await client.restart();
  }

  client.prependListener('element', (element) => {
    if (!element.is('features', STREAMS_NS) || element.getChild('starttls', TLS_NS) === undefined || client.socket?.secure === true) return;
    // Emptied, so no later step (xmpp.js's STARTTLS, SASL) acts on these features.
    element.children = [];
    upgrade().catch(onFailure);
  });
}

#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decodeToken, FosspushError, isFosspushError, toPushSubscription } from '@fosspush/core';
import { Sender } from '@fosspush/sender';
import { dataFromPairs } from './data-input.js';
import { sendToToken } from './deliver-token.js';
import { startDemo } from './demo.js';
import { selfCommand } from './self-command.js';
import { cliVersion } from './version.js';

const HELP = `fosspush: the fosspush command line

Usage:
  fosspush demo [--server-port N] [--send-port N]
      Starts a local push server and the fosspushd daemon, registers a demo app through the
      client SDK, sends it an encrypted message through the server and prints the delivery
      with its latency. Then it keeps serving and tells you how to send more. Ctrl-C stops it
      and removes its temporary files.

  fosspush send --token TOKEN|@FILE --data key=value [--data key=value...] [--ttl SECONDS]
      Sends GCM-style data to a fosspush token (or a PushSubscription JSON file), encrypted to
      the token's keys, as an app server does with @fosspush/sender.

  fosspush token TOKEN|@FILE
      Shows what a token holds: channel, endpoint, public keys, PushSubscription form.

Options:
  -h, --help     this text
  -v, --version  the version
`;

async function tokenArgument(value: string | undefined): Promise<string> {
  if (!value) throw new FosspushError('INVALID_REQUEST', 'a token is required (--token TOKEN, or @FILE to read it from a file)');
  return value.startsWith('@') ? (await readFile(value.slice(1), 'utf8')).trim() : value.trim();
}

async function demo(values: { 'server-port'?: string | undefined; 'send-port'?: string | undefined }): Promise<void> {
  console.log('fosspush demo: a push server, the daemon and an app, all on this machine\n');
  const running = await startDemo({
    serverPort: Number(values['server-port'] ?? 0),
    sendPort: Number(values['send-port'] ?? 0),
  });
  console.log(`
Delivered in ${running.firstDelivery.latencyMs} ms. The demo keeps running; send the app more messages:

  curl -d 'message=Hi again' ${running.sendUrl}
  curl -H 'content-type: application/json' -d '{"title":"News","body":"fosspush works"}' ${running.sendUrl}

curl cannot encrypt, so ${running.sendUrl} plays the app server and encrypts for you.
To send as a real app server does, from another shell:

  ${selfCommand()} send --token @${running.tokenFile} --data message=hello

Ctrl-C stops the demo.`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    running.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function send(values: { token?: string | undefined; data?: string[] | undefined; ttl?: string | undefined }): Promise<void> {
  const token = await tokenArgument(values.token);
  const data = dataFromPairs(values.data ?? []);
  if (Object.keys(data).length === 0) throw new FosspushError('INVALID_REQUEST', '--data key=value is required (repeat it for more keys)');
  const messageId = await sendToToken(new Sender(), token, data, values.ttl === undefined ? 3600 : Number(values.ttl));
  console.log(`sent, message id ${messageId}`);
}

async function token(value: string | undefined): Promise<void> {
  const parsed = decodeToken(await tokenArgument(value));
  console.log(JSON.stringify(parsed, null, 2));
  if (parsed.channel === 'webpush') console.log(`\nPushSubscription:\n${JSON.stringify(toPushSubscription(parsed), null, 2)}`);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      token: { type: 'string' },
      data: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      'server-port': { type: 'string' },
      'send-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) return void process.stdout.write(`fosspush ${cliVersion()}\n`);
  const [command, argument] = positionals;
  if (values.help || command === undefined || command === 'help') return void process.stdout.write(HELP);
  if (command === 'demo') return demo(values);
  if (command === 'send') return send(values);
  if (command === 'token') return token(argument ?? values.token);
  throw new FosspushError('INVALID_REQUEST', `unknown command ${JSON.stringify(command)}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = isFosspushError(error, 'INVALID_REQUEST') || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  const invalid = isFosspushError(error, 'INVALID_TOKEN');
  process.stderr.write(`fosspush: ${(error as Error).message}\n${usage ? 'Run fosspush --help for usage.\n' : ''}`);
  process.exit(usage || invalid ? 2 : 1);
});

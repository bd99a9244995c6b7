// Our push server as the CLI builds it (memory store), but with the per-address and
// per-subscription rate limits off: every request of the bench comes from 127.0.0.1, and with
// the CLI's defaults (200 requests/s per address) the bench would measure the limiter.
// Prints "listening on <url>" like the CLI; SIGTERM closes it.
import { createPushServer, silentLogger } from '@fosspush/server';

const server = createPushServer({
  storage: { kind: 'memory' },
  rateLimits: { perIp: false, perSubscription: false },
  logger: silentLogger,
  processMetrics: false,
});
const url = await server.listen(0, '127.0.0.1');
process.stdout.write(`listening on ${url}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});

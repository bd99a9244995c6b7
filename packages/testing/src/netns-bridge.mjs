// Runs inside a network namespace (`ip netns exec NS node netns-bridge.mjs SOCKET HOST PORT`):
// every connection on the Unix socket SOCKET is piped to HOST:PORT in that namespace. Unix
// sockets live in the file system, which the namespace shares with the host, so a process on
// the host reaches a server bound to the namespace's own loopback without any routed address.
import { createConnection, createServer } from 'node:net';

const [socketPath, host, port] = process.argv.slice(2);
const server = createServer((client) => {
  const upstream = createConnection({ host, port: Number(port) });
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(socketPath, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

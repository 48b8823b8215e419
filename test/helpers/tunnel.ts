/**
 * A forward proxy's CONNECT tunnel (test/e2e/proxy.test.ts, https-proxy.test.ts): the target
 * host:port of the request connected, 200 answered, the bytes piped both ways; both sockets noted
 * in `sockets` so that the test can close them.
 */
import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';

export function tunnel(req: IncomingMessage, client: Socket, head: Buffer, sockets: Set<Socket>): void {
  sockets.add(client);
  const [host, port] = (req.url ?? '').split(':');
  const upstream = connect(Number(port), host!, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  sockets.add(upstream);
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
}

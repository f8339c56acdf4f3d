// Free TCP ports on the loopback address: ask the kernel (listen on port 0) for several at once, holding
// them all until each is known, so two components never get the same one.
import net from 'node:net';
import { ClusterError } from './errors.js';

function listen(port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0, host));
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** Throws a clear error when a port the user asked for is taken. */
export async function ensurePortFree(port: number, host: string, what: string): Promise<void> {
  try {
    await close(await listen(port, host));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new ClusterError(
        'LSO_CLUSTER_PORT_BUSY',
        `${what} port ${host}:${port} is already in use (see which program holds it: ss -ltnp 'sport = :${port}'); ` +
          'stop that program, or choose another port (leave it unset to get a free one)',
      );
    throw new ClusterError(
      'LSO_CLUSTER_PORT_BUSY',
      `cannot listen on ${host}:${port} for ${what}: ${code ?? String(err)}`,
      {
        cause: err,
      },
    );
  }
}

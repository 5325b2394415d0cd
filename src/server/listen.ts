import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listen on host:port (0: any free port) and resolve with where it listens and the base URL
 * clients use, or reject with the listen error (port in use, no permission) instead of emitting
 * it later.
 */
export async function listen(server: Server, port: number, host: string): Promise<{ url: string; host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port };
}

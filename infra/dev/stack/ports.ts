import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's ephemeral range (source ports of outgoing connections). A port the stack picks
 * for a server that binds it later must lie outside it: inside, any connection made meanwhile
 * may take it as its source port, and the server then fails with "address already in use".
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535];
}

const LOWEST = 10_000;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1 below the ephemeral range, tried at random (so two stacks rarely try the same). */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const top = low > LOWEST + 1_000 ? low - 1 : 65_535;
  for (let tries = 0; tries < 200; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${LOWEST} and ${top}`);
}

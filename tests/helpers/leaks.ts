import { setTimeout as delay } from 'node:timers/promises';

/** The kinds of handle a balancer leaves behind when it forgets to close something. */
const WATCHED = ['Timeout', 'TCPSocketWrap', 'TCPServerWrap'] as const;
export type Handles = Record<(typeof WATCHED)[number], number>;

/** How many timers, sockets and listening servers this process holds right now. */
export function openHandles(): Handles {
  const counts: Handles = { Timeout: 0, TCPSocketWrap: 0, TCPServerWrap: 0 };
  for (const type of process.getActiveResourcesInfo()) if (type in counts) counts[type as keyof Handles] += 1;
  return counts;
}

/**
 * What is open now beyond `before`: `{}` when nothing leaked. Waits (bounded: about a second) for the
 * count to drop, since sockets close a few ticks after close() resolves. Not `expect.poll`: its own
 * timers would be counted.
 */
export async function leakedSince(before: Handles): Promise<Partial<Handles>> {
  const excess = () => Object.fromEntries(WATCHED.map((type) => [type, openHandles()[type] - before[type]]).filter(([, extra]) => (extra as number) > 0));
  for (let i = 0; i < 100 && Object.keys(excess()).length > 0; i += 1) await delay(10);
  return excess();
}

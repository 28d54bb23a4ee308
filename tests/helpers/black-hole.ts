import net from 'node:net';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { onTestFinished } from 'vitest';

/**
 * The listener runs in a worker thread that blocks as soon as it listens, so it never accepts. Its
 * backlog of 1 lets the kernel queue two connections; once those are taken, new connection attempts
 * get no answer at all and stay in "connecting" — a backend that does not accept, on 127.0.0.1.
 */
const LISTENER = `
  const { parentPort } = require('node:worker_threads');
  const server = require('node:net').createServer();
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
    parentPort.once('message', (gate) => Atomics.wait(new Int32Array(gate), 0, 0));
    parentPort.postMessage(server.address().port);
  });`;

export interface BlackHole {
  /** `http://127.0.0.1:<port>`: connecting there hangs until the connect timeout. */
  url: string;
}

/** A port whose connections are never accepted, to test connect timeouts. Closed when the test finishes. */
export async function startBlackHole(): Promise<BlackHole> {
  const worker = new Worker(LISTENER, { eval: true });
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const fillers: net.Socket[] = [];
  onTestFinished(async () => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    for (const socket of fillers) socket.destroy();
    await worker.terminate();
  });
  const ready = once(worker, 'message');
  worker.postMessage(gate.buffer);
  const [port] = (await ready) as [number];
  // Linux queues backlog + 1 = 2 connections for a listener nobody accepts from: take both places.
  for (let i = 0; i < 2; i += 1) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    fillers.push(socket);
    await once(socket, 'connect');
  }
  return { url: `http://127.0.0.1:${port}` };
}

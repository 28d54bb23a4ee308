import http from 'node:http';
import net from 'node:net';

/** One probe's verdict, with the reason when it failed. */
export type ProbeResult = { passed: true } | { passed: false; error: string };

/**
 * HTTP probe: `GET <backend><path>` on a fresh connection; a 2xx within `timeoutMs` passes.
 * A fresh connection (no keep-alive pool) also proves that the backend still accepts connections.
 */
export function probeHttp(backend: URL, path: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get(new URL(path, backend), { agent: false, timeout: timeoutMs, signal, headers: { 'user-agent': 'build-a-load-balancer health check' } }, (res) => {
      res.resume(); // the body does not matter, only the status
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? { passed: true } : { passed: false, error: `HTTP ${status}` });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ passed: false, error: err.code ?? err.message }));
  });
}

/** TCP probe, the Go original's check: can we open a connection within `timeoutMs`? */
export function probeTcp(backend: URL, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: backend.hostname, port: Number(backend.port || 80), timeout: timeoutMs, signal });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ passed: true });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ passed: false, error: `no connection within ${timeoutMs} ms` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ passed: false, error: err.code ?? err.message }));
  });
}

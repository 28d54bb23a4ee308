import http from 'node:http';
import type { HealthChecker } from './health-checker.js';

/**
 * The admin API, on its own port: `GET /lb/status` (or `HEAD`) answers JSON with every backend's health.
 *
 * Why a separate server: on the traffic port every path belongs to the backends. A reserved path
 * such as `/lb/status` there would shadow a backend's own `/lb/status` and let any client read our
 * internals. Envoy (admin on :9901) and HAProxy (a separate `stats` listener) separate them the same
 * way; keep the admin port on 127.0.0.1.
 */
export function createAdminServer(health: HealthChecker): http.Server {
  return http.createServer((req, res) => {
    // A query string (`/lb/status?pretty`) changes nothing; the path decides. Not new URL(): it throws
    // on a target such as `http://[`, and a throw in this handler would take the process down.
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/lb/status') return void answerText(res, 404, 'not found: try GET /lb/status\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void answerText(res, 405, 'method not allowed: try GET /lb/status\n', { allow: 'GET, HEAD' });
    const body = `${JSON.stringify({ backends: health.status() }, null, 2)}\n`;
    // Node sends no body in answer to HEAD, but the headers as for GET.
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) }).end(body);
  });
}

function answerText(res: http.ServerResponse, status: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(text);
}

/** Stops the admin API at once: it has no request worth waiting for. */
export function closeAdmin(admin: http.Server): Promise<void> {
  return new Promise((resolve) => {
    admin.close(() => resolve());
    admin.closeAllConnections();
  });
}

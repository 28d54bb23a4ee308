import http from 'node:http';
import type { HealthChecker } from './health-checker.js';

/**
 * The admin API, on its own port: `GET /lb/status` answers JSON with every backend's health.
 *
 * Why a separate server: on the traffic port every path belongs to the backends. A reserved path
 * such as `/lb/status` there would shadow a backend's own `/lb/status` and let any client read our
 * internals. Envoy (admin on :9901) and HAProxy (a separate `stats` listener) separate them the same
 * way; keep the admin port on 127.0.0.1.
 */
export function createAdminServer(health: HealthChecker): http.Server {
  return http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/lb/status') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try GET /lb/status\n');
      return;
    }
    const body = JSON.stringify({ backends: health.status() }, null, 2);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${body}\n`);
  });
}

import http from 'node:http';

/** What the admin API serves: the status JSON, and from step 6 the Prometheus metrics. */
export interface AdminPages {
  status: () => unknown;
  metrics: () => Promise<{ contentType: string; body: string }>;
}

/**
 * The admin API, on its own port: `GET /lb/status` (or `HEAD`) answers JSON with every backend's
 * health and load, and the queue; `GET /lb/metrics` the same and more for Prometheus.
 *
 * Why a separate server: on the traffic port every path belongs to the backends. A reserved path
 * such as `/lb/status` there would shadow a backend's own `/lb/status` and let any client read our
 * internals. Envoy (admin on :9901) and HAProxy (a separate `stats` listener) separate them the same
 * way; keep the admin port on 127.0.0.1 (the CLI does, whatever `--host` says, unless `--admin-host`).
 */
export function createAdminServer(pages: AdminPages): http.Server {
  return http.createServer((req, res) => {
    // A query string (`/lb/status?pretty`) changes nothing; the path decides. Not new URL(): it throws
    // on a target such as `http://[`, and a throw in this handler would take the process down.
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/lb/status' && path !== '/lb/metrics') return void answerText(res, 404, 'not found: try GET /lb/status or GET /lb/metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void answerText(res, 405, `method not allowed: try GET ${path}\n`, { allow: 'GET, HEAD' });
    if (path === '/lb/status') return void answer(res, 'application/json', `${JSON.stringify(pages.status(), null, 2)}\n`);
    pages.metrics().then(
      ({ contentType, body }) => answer(res, contentType, body),
      (err: Error) => answerText(res, 500, `metrics failed: ${err.message}\n`),
    );
  });
}

/** 200 with `body`; Node sends no body in answer to HEAD, but the same headers as for GET. */
function answer(res: http.ServerResponse, contentType: string, body: string): void {
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) }).end(body);
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

import { InvalidOptionsError } from './errors.js';

/** Validates the backend list once, at construction, so a typo fails at start-up and not on the first request. */
export function parseBackends(urls: readonly string[]): URL[] {
  if (urls.length === 0) throw new InvalidOptionsError('at least one backend is required');
  return urls.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidOptionsError(`not a valid backend URL: ${JSON.stringify(text)}`);
    }
    if (url.protocol !== 'http:') throw new InvalidOptionsError(`backend URL must start with http:// : ${text}`);
    // Refused rather than half-supported: Basic auth sent to every backend, and a path prefix that needs
    // rewriting rules of its own, would surprise more than they help. The password is never echoed.
    if (url.username !== '' || url.password !== '') throw new InvalidOptionsError(`backend URL must not carry credentials: http://***@${url.host}`);
    if (url.pathname !== '/' || url.search !== '') throw new InvalidOptionsError(`backend URL must not have a path or query (requests keep their own): ${url.origin}${url.pathname}${url.search}`);
    return url;
  });
}

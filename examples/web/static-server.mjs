// A tiny static file server on the loopback interface, for the demo page (serve.mjs) and the
// real-browser tests. Serves .wasm as application/wasm, so browsers compile it while it streams.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Starts serving. `mounts` maps URL prefixes ending in `/` to folders, or exact URL paths to
 * files, e.g. `{ '/': 'examples/web', '/lucid-optim/': 'dist', '/model.mjs': 'examples/model.mjs' }`.
 * The longest matching prefix wins; paths cannot escape their folder. Folder URLs serve index.html.
 *
 * @param {{ mounts: Record<string, string>, host?: string, port?: number, headers?: Record<string, string> }} options
 *   port 0 picks a free one; headers are added to every file served
 * @returns {Promise<{ url: string, requests: string[], close: () => Promise<void> }>} `requests`
 *   logs every request as `"<status> <path>"`
 */
export async function serveStatic({ mounts, host = '127.0.0.1', port = 0, headers = {} }) {
  const entries = Object.entries(mounts).sort(([a], [b]) => b.length - a.length);
  const requests = [];

  async function resolveFile(pathname) {
    for (const [prefix, target] of entries) {
      if (!prefix.endsWith('/')) {
        if (pathname === prefix) return target;
        continue;
      }
      if (!pathname.startsWith(prefix)) continue;
      const root = resolve(target);
      const file = join(root, normalize(pathname.slice(prefix.length)));
      if (file !== root && !file.startsWith(root + sep)) return undefined;
      const info = await stat(file).catch(() => undefined);
      if (info?.isDirectory()) return join(file, 'index.html');
      return file;
    }
    return undefined;
  }

  const server = createServer(async (req, res) => {
    let status = 500;
    let pathname = '?';
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
      const file = req.method === 'GET' || req.method === 'HEAD' ? await resolveFile(pathname) : undefined;
      const info = file && (await stat(file).catch(() => undefined));
      if (!info?.isFile()) {
        status = req.method === 'GET' || req.method === 'HEAD' ? 404 : 405;
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${status} ${pathname}\n`);
        return;
      }
      status = 200;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-store',
        ...headers,
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch (error) {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${status} ${error.message}\n`);
    } finally {
      requests.push(`${status} ${pathname}`);
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

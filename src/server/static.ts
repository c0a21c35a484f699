/**
 * The local server behind `mobilenetv3 serve`: the built page (dist/web), the chosen weights and
 * a small config document, nothing else. Cross-origin isolation headers (COOP/COEP) let the page
 * use SharedArrayBuffer, i.e. multi-threaded WebAssembly in TF.js and ONNX Runtime.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.h5': 'application/x-hdf5',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

export interface StaticSite {
  /** Folder of the built page. */
  root: string;
  /** Extra files by URL path (e.g. "/weights/model.h5" -> absolute file path). */
  files: Map<string, string>;
  /** JSON documents by URL path (e.g. "/api/config.json"). */
  documents: Map<string, unknown>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The file a request maps to, or undefined; never anything outside `root` or the listed files. */
async function lookup(site: StaticSite, pathname: string): Promise<string | undefined> {
  const listed = site.files.get(pathname);
  if (listed) return listed;
  const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = resolve(site.root, relative);
  if (file !== site.root && !file.startsWith(site.root + sep)) return undefined;
  try {
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

async function handle(site: StaticSite, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return send(res, 400, 'bad request');
  }
  if (site.documents.has(pathname)) {
    return send(res, 200, JSON.stringify(site.documents.get(pathname)), MIME['.json']);
  }
  const file = await lookup(site, pathname);
  if (!file) return send(res, 404, `not found: ${pathname}`);
  const info = await stat(file);
  res.writeHead(200, {
    ...ISOLATION_HEADERS,
    'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    // Hashed asset names never change; the page and the weights may.
    'Cache-Control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/** Start listening; resolves with the server once bound, rejects with the listen error. */
export function serveStatic(site: StaticSite, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    handle(site, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise(server);
    });
  });
}

/**
 * A static file server for bundled pages: serves a map of path → contents on 127.0.0.1 (a free
 * port), so a page can load its script chunks and the tests need no files on disk.
 *
 * Text files go out compressed (brotli, else gzip, whichever the browser accepts; each compressed
 * once and kept), and every response carries the two headers that make the page cross-origin
 * isolated (docs/browser.md): `crossOriginIsolated` is true there, so SharedArrayBuffer and shared
 * WebAssembly memory are available to the kernels.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Types worth compressing (images are compressed already). */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.map']);

/** The headers of a cross-origin-isolated page: same-origin opener, and every subresource same-origin or opted in. */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
} as const;

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(dot);
}

type Encoding = 'br' | 'gzip';

/** The best encoding the request accepts ('br' before 'gzip'), or null for none. */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding | null {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      // 'gzip;q=0' refuses gzip.
      .filter(([, quality]) => quality === undefined || !/^\s*q\s*=\s*0(\.0*)?\s*$/.test(quality))
      .map(([name]) => name!.trim().toLowerCase()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

function compress(body: Uint8Array, encoding: Encoding): Uint8Array {
  if (encoding === 'gzip') return gzipSync(body, { level: 9 });
  return brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } });
}

/** Serves `files` (keys like '/index.html'); '/' is '/index.html'. port 0 picks a free one. */
export async function serveFiles(files: Map<string, Uint8Array | string>, port = 0): Promise<StaticServer> {
  // Each file compressed at most once per encoding, on its first request.
  const compressed = new Map<string, Uint8Array>();
  const respond = (request: IncomingMessage, path: string, body: Uint8Array) => {
    const extension = extensionOf(path);
    const headers: Record<string, string> = { 'content-type': TYPES[extension] ?? 'application/octet-stream', 'cache-control': 'no-store', ...ISOLATION_HEADERS };
    if (!COMPRESSIBLE.has(extension)) return { headers, body };
    headers.vary = 'accept-encoding';
    const encoding = chooseEncoding(request.headers['accept-encoding']);
    if (encoding === null) return { headers, body };
    const key = `${encoding} ${path}`;
    let packed = compressed.get(key);
    if (packed === undefined) compressed.set(key, (packed = compress(body, encoding)));
    return { headers: { ...headers, 'content-encoding': encoding }, body: packed };
  };
  const server: Server = createServer((request, response) => {
    const asked = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const path = asked === '/' ? '/index.html' : asked;
    const file = files.get(path);
    if (file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain', ...ISOLATION_HEADERS }).end(`not found: ${path}`);
      return;
    }
    const { headers, body } = respond(request, path, typeof file === 'string' ? new TextEncoder().encode(file) : file);
    response.writeHead(200, { ...headers, 'content-length': String(body.byteLength) }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

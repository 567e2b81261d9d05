/**
 * The pages' file server (browser/server.ts), over real HTTP from Node (no browser needed): text
 * files go out brotli- or gzip-compressed as the request accepts, unchanged otherwise, and every
 * response carries the headers that make a page cross-origin isolated.
 */
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseEncoding, serveFiles, type StaticServer } from '../../browser/server.js';

const SCRIPT = `export const text = ${JSON.stringify('fast weights '.repeat(500))};\n`;
const IMAGE = new Uint8Array(300).map((_, i) => i % 7);

/** GET `path` with an Accept-Encoding header (none when undefined): status, headers and the raw body. */
function get(url: string, path: string, acceptEncoding?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the static server of the demo and the test pages', () => {
  let server: StaticServer;
  beforeAll(async () => {
    server = await serveFiles(new Map<string, Uint8Array | string>([['/index.html', '<!doctype html><p>hi</p>'], ['/main.js', SCRIPT], ['/picture.png', IMAGE]]));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sends a script brotli-compressed to a browser that accepts br, gzip to one that accepts only gzip, as is to one that accepts neither', async () => {
    const br = await get(server.url, '/main.js', 'gzip, deflate, br, zstd');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(SCRIPT.length / 10);
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    const gzip = await get(server.url, '/main.js', 'gzip;q=1.0, br;q=0');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).toString()).toBe(SCRIPT);
    const plain = await get(server.url, '/main.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
    for (const response of [br, gzip, plain]) {
      expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(response.headers.vary).toBe('accept-encoding');
      expect(Number(response.headers['content-length'])).toBe(response.body.length);
    }
  });

  it('sends images as they are', async () => {
    const png = await get(server.url, '/picture.png', 'gzip, br');
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(new Uint8Array(png.body)).toEqual(IMAGE);
  });

  it('every response, a missing file\'s too, makes the page cross-origin isolated', async () => {
    for (const path of ['/', '/main.js', '/picture.png', '/missing.js']) {
      const response = await get(server.url, path, 'br');
      expect(response.status, path).toBe(path === '/missing.js' ? 404 : 200);
      expect(response.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(response.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
    }
  });

  it('reads Accept-Encoding as browsers write it', () => {
    expect(chooseEncoding(undefined)).toBeNull();
    expect(chooseEncoding('')).toBeNull();
    expect(chooseEncoding('identity')).toBeNull();
    expect(chooseEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(chooseEncoding('GZIP')).toBe('gzip');
    expect(chooseEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(chooseEncoding('br;q=0.0,gzip;q=0')).toBeNull();
  });
});

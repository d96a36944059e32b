import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fromUrl } from '../../src/core/bytes/http-source.ts';
import { ROOT, layerlab, layerlabAsync } from '../helpers/cli.ts';

/**
 * HTTP(S) byte source against a real server on loopback: one that honours Range (RFC 9110 §14),
 * one that ignores it (full body, 200), one that fails.
 */
const SAMPLE = resolve(ROOT, 'public/sample/sample.tar');
const body = readFileSync(SAMPLE);
let server: Server;
let base = '';
const log: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    log.push(`${req.url} ${req.headers.range ?? '-'}`);
    if (req.url === '/missing') { res.writeHead(404).end('no'); return; }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (req.url === '/ranged' && m) {
      const a = Number(m[1]), b = Math.min(Number(m[2]), body.length - 1);
      res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${body.length}`, 'content-length': b - a + 1 });
      res.end(body.subarray(a, b + 1));
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('fromUrl', () => {
  it('reads ranges from a server that supports them, without fetching the whole file', async () => {
    log.length = 0;
    const src = await fromUrl(`${base}/ranged`);
    expect(src.size).toBe(body.length);
    expect(Buffer.from(await src.read(1000, 50))).toEqual(body.subarray(1000, 1050));
    expect(log).toEqual(['/ranged bytes=0-0', '/ranged bytes=1000-1049']);
    const chunks: Uint8Array[] = [];
    for await (const c of src.stream({ start: 10, end: 5000, chunkSize: 1024 })) chunks.push(c);
    expect(Buffer.concat(chunks)).toEqual(body.subarray(10, 5000));
  });

  it('falls back to one full GET when the server ignores Range', async () => {
    log.length = 0;
    const src = await fromUrl(`${base}/plain`);
    expect(src.size).toBe(body.length);
    expect(Buffer.from(await src.read(body.length - 10, 10))).toEqual(body.subarray(body.length - 10));
    expect(log).toHaveLength(1);
  });

  it('names the URL and the status when the server fails', async () => {
    await expect(fromUrl(`${base}/missing`)).rejects.toThrow(/HTTP 404/);
    await expect(fromUrl(`${base}/missing`)).rejects.toMatchObject({ context: { file: `${base}/missing` } });
  });

  it('the CLI inspects an image by URL', async () => {
    const byUrl = await layerlabAsync('inspect', `${base}/ranged`, '--json');
    const byPath = layerlab('inspect', SAMPLE, '--json');
    expect(byUrl.status, byUrl.stderr).toBe(0);
    expect(JSON.parse(byUrl.stdout)).toStrictEqual(JSON.parse(byPath.stdout));
  });
});

describe('fromUrl when Content-Range is hidden (cross-origin without Access-Control-Expose-Headers)', () => {
  it('takes the size from a HEAD and still reads ranges', async () => {
    // A fetch that drops Content-Range, as a browser does for a non-exposed header.
    const hiding: typeof fetch = async (input, init) => {
      const r = await fetch(input, init);
      const h = new Headers(r.headers);
      h.delete('content-range');
      return new Response(init?.method === 'HEAD' ? null : r.body, { status: r.status, headers: h });
    };
    log.length = 0;
    const src = await fromUrl(`${base}/ranged`, { fetch: hiding });
    expect(src.size).toBe(body.length);
    expect(Buffer.from(await src.read(7, 9))).toEqual(body.subarray(7, 16));
    expect(log).toHaveLength(3);
  });
});

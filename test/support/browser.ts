import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

/** Debian's Chromium, which `.ci/run` installs when missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a headless Chromium on a machine with no network but loopback (the probe's set). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const NODE_MODULES = join(__dirname, '../../node_modules');

/**
 * A static web server on its own port — another origin than the api's — serving `pages` by path and
 * the browser builds of client libraries under `/nm/` from node_modules. An import without an
 * extension (as in fetch-event-source's ESM build) resolves to the `.js` file, as a bundler would.
 */
export async function servePages(pages: Record<string, string>): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    if (pages[path] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages[path]);
      return;
    }
    if (path.startsWith('/nm/')) {
      const file = normalize(join(NODE_MODULES, path.slice(4)));
      const found = [file, `${file}.js`].find(
        (f) => f.startsWith(NODE_MODULES) && existsSync(f) && statSync(f).isFile(),
      );
      if (found) {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(found));
        return;
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

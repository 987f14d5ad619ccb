// Shared helpers of the browser tests and the benchmark: a tiny static server for the
// repository root and a headless Chromium driven by playwright-core.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { chromium } from 'playwright-core';

export const WIDGET_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(WIDGET_DIR, '..');
export const ARTIFACTS = path.join(WIDGET_DIR, 'artifacts');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Serves `root` on 127.0.0.1 (random port). `mounts` maps URL prefixes (like "/__test/") to
 * other folders. Resolves to { origin, close }.
 */
export function startServer(root = REPO_ROOT, mounts = {}) {
  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let base = root;
    let rel = pathname;
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (pathname.startsWith(prefix)) {
        base = dir;
        rel = pathname.slice(prefix.length - 1);
      }
    }
    let file = path.join(base, path.normalize(rel));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        if (!pathname.endsWith('/')) {
          res.writeHead(301, { Location: pathname + '/' }).end();
          return;
        }
        file = path.join(file, 'index.html');
      }
      fs.stat(file, (err2, st2) => {
        if (err2 || !st2.isFile()) {
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
          return;
        }
        // Cacheable with revalidation, like a real web server (lets Chromium cache the
        // compiled wasm on repeat visits).
        const etag = `"${st2.size.toString(16)}-${Math.floor(st2.mtimeMs).toString(16)}"`;
        const headers = {
          'Content-Type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
          'Cache-Control': 'no-cache',
          'Content-Length': String(st2.size),
          ETag: etag,
        };
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, headers).end();
          return;
        }
        res.writeHead(200, headers);
        fs.createReadStream(file).pipe(res);
      });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

/**
 * A fresh context and page that only reach `origin`: any other request is aborted and
 * recorded in `page.blocked`; page errors and console errors are collected too.
 */
export async function newPage(browser, origin, options = {}) {
  const context = await browser.newContext({ locale: 'it-IT', ...options });
  const page = await context.newPage();
  page.blocked = [];
  page.errors = [];
  page.consoleErrors = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin + '/') || url.startsWith('data:') || url.startsWith('blob:')) {
      return route.continue();
    }
    page.blocked.push(url);
    return route.abort();
  });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') page.consoleErrors.push(m.text());
  });
  return { context, page };
}

/** Evaluates `fn(shadowRoot, arg)` in the page for the first <sportello-chat>. */
export function inShadow(page, fn, arg) {
  return page.evaluate(
    ([src, a]) => {
      const host = document.querySelector('sportello-chat');
      // eslint-disable-next-line no-new-func
      return new Function('root', 'host', 'arg', `return (${src})(root, host, arg);`)(host.shadowRoot, host, a);
    },
    [fn.toString(), arg],
  );
}

/** The deepest focused element, through shadow roots, described for assertions. */
export function focused(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return null;
    return {
      tag: a.tagName.toLowerCase(),
      cls: a.className || '',
      name: a.getAttribute('aria-label') || a.textContent.trim().slice(0, 120),
      inShadow: a.getRootNode() !== document,
    };
  });
}

export function ensureArtifacts() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

export function distReady() {
  const need = ['sportello.js', 'sportello_wasm.js', 'sportello_wasm_bg.wasm'];
  const missing = need.filter((f) => !fs.existsSync(path.join(WIDGET_DIR, 'dist', f)));
  if (!fs.existsSync(path.join(REPO_ROOT, 'examples/website/bundle/bundle.json'))) {
    missing.push('examples/website/bundle/bundle.json');
  }
  if (missing.length) {
    throw new Error(`build outputs missing (${missing.join(', ')}): run web-widget/build.sh first`);
  }
}

/**
 * The bundle `sportello build` writes for `entries` (given in the JSONL interchange format):
 * `bundle.json` parsed and the prebuilt data (`bundle.bin`) as a Buffer. The widget opens
 * engines only from a bundle's prebuilt data, so a test that wants its own knowledge base
 * builds it with the same CLI as build.sh (which built that CLI).
 */
export function buildBundle(entries) {
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(REPO_ROOT, 'target');
  const cli = path.join(targetDir, 'release', 'sportello');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sportello-kb-'));
  try {
    const kb = path.join(dir, 'kb.jsonl');
    fs.writeFileSync(kb, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    execFileSync(cli, ['build', kb, '--out', path.join(dir, 'out')], { stdio: ['ignore', 'ignore', 'inherit'] });
    return {
      json: JSON.parse(fs.readFileSync(path.join(dir, 'out', 'bundle.json'), 'utf8')),
      bin: fs.readFileSync(path.join(dir, 'out', 'bundle.bin')),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

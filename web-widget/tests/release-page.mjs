// The npm package as a web developer installs it, on a plain page: opens <site>/index.html
// (which loads node_modules/sportello-widget/sportello.js and the bundle in <site>/bundle/) in
// headless Chromium, asks a question through the element and checks the answer on screen, that
// the engine came from the bundle's prebuilt data, and that nothing outside the site was
// requested. Run by scripts/release-check.sh:   node web-widget/tests/release-page.mjs <site>
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launch, newPage, inShadow } from './helpers.mjs';

const site = path.resolve(process.argv[2] || '.');
const server = await startServer(site);
const browser = await launch();
try {
  const { page, context } = await newPage(browser, server.origin);
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(`${server.origin}/index.html`);
  await page.waitForFunction(() => document.querySelector('sportello-chat')?.hasAttribute('ready'), null, {
    timeout: 30_000,
  });
  const info = await page.evaluate(() => document.querySelector('sportello-chat').info);
  assert.match(info.name, /^Comune di Esempio/);
  assert.equal(info.prebuilt, true);
  await page.evaluate(() => document.querySelector('sportello-chat').open());
  const reply = await page.evaluate(() => document.querySelector('sportello-chat').ask("quanto costa la carta d'identità"));
  assert.equal(reply.kind, 'answer', JSON.stringify(reply).slice(0, 300));
  const shown = await inShadow(page, (root) => root.querySelector('[role="log"]').textContent);
  assert.match(shown, /22,21/);
  const wasm = requested.find((p) => p.endsWith('/node_modules/sportello-widget/sportello_wasm_bg.wasm'));
  assert.ok(wasm, `the wasm was not loaded from the package: ${requested.join(' ')}`);
  assert.deepEqual(page.blocked, []);
  assert.deepEqual(page.errors, []);
  console.log(`==> release-page: the package answered in Chromium (${info.entries} entries, ${requested.length} requests: ${[...new Set(requested)].join(' ')})`);
  await context.close();
} finally {
  await browser.close();
  await server.close();
}

// The widget built at this commit opens a bundle written by an earlier commit's CLI (see
// scripts/bundle-across-commits.sh): <site>/index.html loads web-widget/dist/sportello.js and
// <site>/bundle/; the engine must open from the bundle's prebuilt data (the widget never builds
// an index) and answer the CIE price, with nothing requested outside the page's origin.
//   node web-widget/tests/old-bundle.mjs <site>
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launch, newPage, inShadow, REPO_ROOT } from './helpers.mjs';

const site = path.resolve(process.argv[2]);
const server = await startServer(REPO_ROOT, { '/site/': site });
const browser = await launch();
try {
  const { page, context } = await newPage(browser, server.origin);
  await page.goto(`${server.origin}/site/index.html`);
  await page.waitForFunction(() => document.querySelector('sportello-chat')?.hasAttribute('ready'), null, { timeout: 30_000 });
  const info = await page.evaluate(() => document.querySelector('sportello-chat').info);
  assert.equal(info.prebuilt, true, 'opened from the prebuilt data');
  await page.evaluate(() => document.querySelector('sportello-chat').open());
  const reply = await page.evaluate(() => document.querySelector('sportello-chat').ask("quanto costa la carta d'identità"));
  assert.equal(reply.kind, 'answer', JSON.stringify(reply).slice(0, 300));
  assert.match(await inShadow(page, (root) => root.querySelector('[role="log"]').textContent), /22,21/);
  assert.deepEqual(page.blocked, []);
  assert.deepEqual(page.errors, []);
  console.log(`==> old-bundle: answered «${reply.question}» from a bundle of ${info.entries} entries`);
  await context.close();
} finally {
  await browser.close();
  await server.close();
}

// The editors' report page (`sportello report --html`) in Chromium: a store filled with a few
// hundred replies over ten weeks (the fill_feedback example asks the example KB's question
// sets to the real engine), the page rendered with its charts, no request leaving it, axe-core
// finding no WCAG 2.1 AA violation; screenshots go to web-widget/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { startServer, launch, newPage, ARTIFACTS, REPO_ROOT } from './helpers.mjs';
import { sportelloTools } from './tools.mjs';

let server;
let browser;
let dir;

before(async () => {
  const tools = sportelloTools();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sportello-report-'));
  const db = path.join(dir, 'feedback.sqlite');
  const kb = path.join(REPO_ROOT, 'knowledge-base/comune-di-esempio');
  const sets = path.join(REPO_ROOT, 'tests/eval/comune-di-esempio');
  tools.run(tools.fill, [db, kb, path.join(sets, 'in-scope.jsonl'), path.join(sets, 'out-of-scope.jsonl'), '--events', '400', '--weeks', '10']);
  tools.run(tools.sportello, ['report', db, '--kb', kb, '--limit', '1000', '--html', path.join(dir, 'rapporto.html')]);
  server = await startServer(dir);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the report renders its charts, requests nothing and has no axe violation', async () => {
  const { context, page } = await newPage(browser, server.origin, { viewport: { width: 1100, height: 900 } });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.origin}/rapporto.html`);
  assert.deepEqual(requests, [`${server.origin}/rapporto.html`], 'the page loads nothing else');
  assert.deepEqual(page.blocked, []);
  const charts = await page.evaluate(() => [...document.querySelectorAll('svg[role="img"]')].map((svg) => ({
    title: svg.querySelector('title')?.textContent,
    bars: svg.querySelectorAll('rect').length,
    width: svg.getBoundingClientRect().width,
    height: svg.getBoundingClientRect().height,
  })));
  assert.equal(charts.length, 2, JSON.stringify(charts));
  for (const c of charts) {
    assert.ok(c.title && c.bars > 5 && c.width > 600 && c.height > 100, JSON.stringify(c));
  }
  const text = await page.locator('main').innerText();
  assert.match(text, /Rapporto per i redattori/);
  assert.match(text, /400\s*domande/);
  assert.ok(!/RSSMRA85T10A562S|333 123 4567/.test(text), 'personal data never reaches the report');
  assert.match(text, /\[TELEFONO\]|\[CODICE FISCALE\]/);
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  assert.deepEqual(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), []);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // The top of the page (summary and weekly chart) and the votes chart, for the editors' guide.
  await page.screenshot({ path: path.join(ARTIFACTS, 'rapporto.png'), clip: { x: 0, y: 0, width: 1100, height: 1250 } });
  await page.locator('#voti').screenshot({ path: path.join(ARTIFACTS, 'rapporto-voti.png') });
  await context.close();
});

// Notices (avvisi) in the widget: a bundle of the example agency that extends the example
// national pack (examples/comune-con-pacchetto), built with `sportello build`, opened in
// headless Chromium at a fixed time. A valid notice about the CIE shows above the CIE answer,
// marked as urgent, inside the answer's message; after its last day it is gone. axe-core
// finds no WCAG 2.1 AA violation with the notice on screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, launch, newPage, distReady, inShadow, REPO_ROOT } from './helpers.mjs';
import { sportelloTools } from './tools.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CIE = "cosa devo portare per fare la carta d'identità elettronica?";
let web;
let browser;
let dir;

before(async () => {
  distReady();
  const tools = sportelloTools();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sportello-notices-'));
  tools.run(tools.sportello, ['build', path.join(REPO_ROOT, 'examples/comune-con-pacchetto'), '--out', path.join(dir, 'bundle')]);
  fs.writeFileSync(path.join(dir, 'index.html'), `<!DOCTYPE html><html lang="it"><head><meta charset="utf-8"><title>Comune di Prova</title>
<script type="module" src="/web-widget/dist/sportello.js"></script></head><body><main><h1>Comune di Prova</h1>
<sportello-chat src="/__test/bundle/" load="eager"></sportello-chat></main></body></html>`);
  web = await startServer(REPO_ROOT, { '/__test/': dir });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await web?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Opens the page with the clock at `time`, asks `question`, returns the last answer's DOM facts. */
async function askAt(time, question) {
  const { context, page } = await newPage(browser, web.origin);
  await page.clock.setFixedTime(new Date(time));
  await page.goto(`${web.origin}/__test/`);
  await page.waitForFunction(() => document.querySelector('sportello-chat')?.ready === true);
  const kind = await page.evaluate((q) => {
    const chat = document.querySelector('sportello-chat');
    chat.open();
    return chat.ask(q).then((r) => r.kind);
  }, question);
  const facts = await inShadow(page, (root) => {
    const all = root.querySelectorAll('.bot.answer');
    const msg = all[all.length - 1];
    const notes = [...msg.querySelectorAll('.notice')];
    const children = [...msg.children];
    return {
      id: msg.dataset.id,
      notices: notes.map((n) => ({
        id: n.dataset.id, role: n.getAttribute('role'), label: n.getAttribute('aria-label'),
        urgent: n.classList.contains('high'), text: n.textContent, strong: n.querySelector('strong')?.textContent,
      })),
      // The notice comes before the question's heading in reading order.
      before: notes.length ? children.indexOf(notes[0]) < children.indexOf(msg.querySelector('.q')) : null,
    };
  });
  return { context, page, kind, facts };
}

test('a valid notice shows above the answer it concerns, accessible, and not after its last day', async () => {
  const during = await askAt('2026-12-05T10:00:00+01:00', CIE);
  assert.equal(during.kind, 'answer');
  assert.equal(during.facts.id, 'naz-cie-cosa-serve');
  assert.equal(during.facts.notices.length, 1, JSON.stringify(during.facts));
  const n = during.facts.notices[0];
  assert.equal(n.id, 'anagrafe-chiusa');
  assert.equal(n.role, 'note');
  assert.equal(n.label, 'Avviso urgente');
  assert.ok(n.urgent);
  assert.match(n.text, /Anagrafe chiusa il 9 dicembre/);
  assert.equal(n.strong, '9 dicembre', 'the notice\'s Markdown arrives as HTML');
  assert.equal(during.facts.before, true);
  assert.deepEqual(during.page.blocked, []);
  await during.page.evaluate(AXE_SOURCE);
  const violations = await during.page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((x) => x.target.join(' ') + ' ' + x.failureSummary) }));
  });
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  await during.context.close();

  const after = await askAt('2026-12-10T08:00:00+01:00', CIE);
  assert.equal(after.facts.id, 'naz-cie-cosa-serve');
  assert.deepEqual(after.facts.notices, []);
  await after.context.close();

  // The strike notice is global: it shows on the URP answer on its day.
  const strike = await askAt('2026-12-10T13:00:00+01:00', "quali sono gli orari dell'URP?");
  assert.equal(strike.facts.id, 'urp-orari');
  assert.deepEqual(strike.facts.notices.map((x) => [x.id, x.urgent, x.label]), [['sciopero', false, 'Avviso']]);
  await strike.context.close();
});

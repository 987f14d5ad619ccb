// Hostile content executes nothing: a knowledge base whose answers, questions, agency name and
// contacts contain <script>, <img onerror> and javascript: links, and citizen messages made of
// HTML. Also: a missing bundle gives an Italian error, and the strings can be overridden.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, launch, newPage, inShadow, distReady, buildBundle, REPO_ROOT } from './helpers.mjs';

const PWN = 'window.__pwned=1';
let server;
let browser;
let dir;

const bundle = {
  format: 2,
  agency: {
    id: 'ostile',
    name: `Comune Ostile <img src=x onerror="${PWN}">`,
    language: 'it',
    ai_disclosure: `Assistente automatico <script>${PWN}</script>`,
    contacts: {
      office: `URP <b onmouseover="${PWN}">ostile</b>`,
      phone: '0123 456789',
      email: 'urp@ostile.example',
      url: `javascript:${PWN}`,
      hours: '<script>window.__pwned=1</script>9-12',
    },
  },
  entries: [
    {
      id: 'script-entry',
      question: 'Come si usa lo script del comune?',
      alternatives: ['script del comune'],
      answer: `Prima riga.\n\n<script>${PWN}</script>\n\nDopo lo script. <iframe src="javascript:${PWN}"></iframe>`,
    },
    {
      id: 'img-entry',
      question: "Dove trovo l'immagine della mappa?",
      alternatives: ['immagine della mappa'],
      answer: `Ecco la mappa: <img src=x onerror="${PWN}"> e [un link](javascript:${PWN}) e <a href="javascript:${PWN}" onclick="${PWN}">altro</a>. ![mappa](x" onerror="${PWN})\n\n<svg onload="${PWN}"></svg>`,
    },
    {
      id: 'html-question',
      question: `<img src=x onerror=${PWN}> Orari della biblioteca <b>comunale</b>`,
      alternatives: ['orari biblioteca comunale'],
      answer: 'La biblioteca apre alle 9.',
      related: ['script-entry', 'img-entry'],
      source: `javascript:${PWN}`,
    },
  ],
};

// A tampered bundle: its answers are "rendered" as the raw hostile HTML, bypassing the core's
// Markdown renderer (which never emits raw HTML), so only the widget's own sanitiser stands
// between them and the page.
bundle.rendered = bundle.entries.map((e) => ({ html: e.answer, text: e.answer }));

// The same bundle without its prebuilt data, which the widget refuses (it never builds an
// index itself): it must say so, and still show the agency's contacts.
const UNBUILT = JSON.stringify(bundle);

const PAGE = `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Test ostile</title>
<script type="module" src="/web-widget/dist/sportello.js"></script></head>
<body><main><h1>Pagina di prova</h1></main>
<sportello-chat src="/__test/bundle/" load="eager">
  <script type="application/json">{"launcher": "Chiedi all'Assistente del Comune", "send": "Chiedi"}</script>
</sportello-chat></body></html>`;

const TWO = `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Due widget</title>
<script type="module" src="/web-widget/dist/sportello.js"></script></head>
<body><main><h1>Pagina di prova</h1></main>
<sportello-chat id="a" src="/__test/bundle/" load="eager"></sportello-chat>
<sportello-chat id="b" src="/__test/bundle/" load="eager" position="left"></sportello-chat></body></html>`;

const MISSING = `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Test errore</title>
<script type="module" src="/web-widget/dist/sportello.js"></script></head>
<body><main><h1>Pagina di prova</h1></main><sportello-chat src="/__test/non-esiste/"></sportello-chat></body></html>`;

before(async () => {
  distReady();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sportello-xss-'));
  fs.mkdirSync(path.join(dir, 'bundle'));
  // The engine's prebuilt data comes from `sportello build` on the same entries: it does not
  // cover the agency or the rendered answers, so the tampered ones above stay (the hash of
  // the texts a bundle leaves out comes with it).
  const built = buildBundle(bundle.entries.map(({ source, related, ...e }) => e));
  assert.ok(built.bin.length > 100, 'sportello build wrote prebuilt data');
  bundle.source = built.json.source;
  fs.writeFileSync(path.join(dir, 'bundle', 'bundle.json'), JSON.stringify(bundle));
  fs.writeFileSync(path.join(dir, 'bundle', 'bundle.bin'), built.bin);
  fs.mkdirSync(path.join(dir, 'unbuilt'));
  fs.writeFileSync(path.join(dir, 'unbuilt', 'bundle.json'), UNBUILT);
  fs.writeFileSync(path.join(dir, 'unbuilt.html'), MISSING.replace('/__test/non-esiste/', '/__test/unbuilt/'));
  // A bundle of a format this widget does not read (as a much older or a future Sportello
  // writes), with its data beside it.
  fs.mkdirSync(path.join(dir, 'future'));
  fs.writeFileSync(path.join(dir, 'future', 'bundle.json'), JSON.stringify({ ...bundle, format: 99, sportello: '9.0.0' }));
  fs.writeFileSync(path.join(dir, 'future', 'bundle.bin'), built.bin);
  fs.writeFileSync(path.join(dir, 'future.html'), MISSING.replace('/__test/non-esiste/', '/__test/future/'));
  // A bundle of format 1 (one JSON file, as Sportello wrote before format 2), which the widget
  // no longer reads: the one committed for the native compatibility test.
  fs.mkdirSync(path.join(dir, 'format1'));
  fs.copyFileSync(path.join(REPO_ROOT, 'crates/sportello-core/tests/fixtures/bundle-compat-format1/bundle.json'), path.join(dir, 'format1', 'bundle.json'));
  fs.writeFileSync(path.join(dir, 'format1.html'), MISSING.replace('/__test/non-esiste/', '/__test/format1/'));
  fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
  fs.writeFileSync(path.join(dir, 'missing.html'), MISSING);
  fs.writeFileSync(path.join(dir, 'two.html'), TWO);
  server = await startServer(undefined, { '/__test/': dir });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Nothing dangerous anywhere in the page or in the widget's shadow DOM. */
function scan(page) {
  return page.evaluate(() => {
    const roots = [document];
    for (const host of document.querySelectorAll('sportello-chat')) roots.push(host.shadowRoot);
    const bad = [];
    for (const r of roots) {
      const inWidget = r !== document;
      for (const n of r.querySelectorAll('*')) {
        const tag = n.tagName.toLowerCase();
        if (inWidget && ['script', 'img', 'iframe', 'object', 'embed', 'style', 'b'].includes(tag)) bad.push(`<${tag}>`);
        if (!inWidget && ['img', 'iframe', 'svg'].includes(tag)) bad.push(`page <${tag}>`);
        for (const a of n.attributes) {
          if (/^on/i.test(a.name)) bad.push(`${tag}[${a.name}]`);
          if (/^\s*javascript:/i.test(a.value)) bad.push(`${tag}[${a.name}=${a.value}]`);
        }
      }
    }
    return { pwned: window.__pwned, bad };
  });
}

test('hostile KB content and citizen HTML execute nothing', async () => {
  const { context, page } = await newPage(browser, server.origin);
  await page.goto(`${server.origin}/__test/index.html`);
  await page.waitForFunction(() => document.querySelector('sportello-chat').ready);
  const launcher = await inShadow(page, (root) => root.querySelector('.launcher').textContent);
  assert.equal(launcher, "Chiedi all'Assistente del Comune", 'strings overridden by the JSON script');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  for (const q of [
    '<img src=x onerror=window.__pwned=1>',
    '<script>window.__pwned=1</script> script del comune',
    'immagine della mappa',
    'orari biblioteca comunale',
    '"><svg onload=window.__pwned=1>',
  ]) {
    await page.keyboard.type(q);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(50);
  }
  // Every entry, through the public API too (including the related buttons' labels).
  await page.evaluate(async () => {
    const host = document.querySelector('sportello-chat');
    for (const id of ['script-entry', 'img-entry', 'html-question']) await host.answerEntry(id, `scelta ${id}`);
  });
  await page.waitForTimeout(300);
  const texts = await inShadow(page, (root) => ({
    user: [...root.querySelectorAll('.user')].map((u) => u.textContent),
    answers: [...root.querySelectorAll('.answer')].map((a) => a.dataset.id),
    agency: root.querySelector('.agency').textContent,
    disclosure: root.querySelector('.disclosure').textContent,
    related: [...root.querySelectorAll('.answer .choice')].map((b) => b.textContent),
    question: root.querySelector('.answer[data-id="html-question"] .q')?.textContent,
  }));
  // Citizen messages are shown as text, exactly.
  assert.ok(texts.user.some((t) => t.endsWith('<img src=x onerror=window.__pwned=1>')), JSON.stringify(texts.user));
  assert.ok(texts.answers.includes('script-entry') && texts.answers.includes('img-entry') && texts.answers.includes('html-question'), JSON.stringify(texts.answers));
  assert.match(texts.agency, /<img src=x onerror=/, 'agency name as text');
  assert.match(texts.question, /<b>comunale<\/b>/, 'questions as text');
  // A decline shows the contacts without the javascript: URL.
  await page.keyboard.type('zzz qwerty');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
  const result = await scan(page);
  assert.equal(result.pwned, undefined, 'window.__pwned must stay undefined');
  assert.deepEqual(result.bad, []);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.blocked.filter((u) => !u.startsWith(server.origin)), []);
  await context.close();
});

test('the widget sanitiser strips scripts, handlers and javascript: URLs from raw HTML', async () => {
  const { context, page } = await newPage(browser, server.origin);
  await page.goto(`${server.origin}/__test/index.html`);
  const out = await page.evaluate(async (pwn) => {
    const { sanitizeHtml } = await import('/web-widget/dist/sportello.js');
    const hostile = `<p>ok <strong>bold</strong> <a href="https://example.org/x" onclick="${pwn}">link</a></p>
      <script>${pwn}</script><img src=x onerror="${pwn}"><svg><script>${pwn}</script></svg>
      <a href=" jav&#x09;ascript:${pwn}">x</a><a href="JaVaScRiPt:${pwn}">y</a><a href="data:text/html,<script>${pwn}</script>">z</a>
      <iframe srcdoc="<script>${pwn}</script>"></iframe><math><mi xlink:href="javascript:${pwn}">m</mi></math>
      <div style="background:url(javascript:${pwn})" onmouseover="${pwn}">div</div><form action="javascript:${pwn}"><button>b</button></form>
      <details open ontoggle="${pwn}">d</details><a href="mailto:a@b.it">mail</a><a href="tel:+39123">tel</a><a href="/rel">rel</a>`;
    const box = document.createElement('div');
    box.id = 'sanitised';
    box.append(sanitizeHtml(hostile));
    document.body.append(box);
    await new Promise((r) => setTimeout(r, 300));
    return {
      html: box.innerHTML,
      pwned: window.__pwned,
      hrefs: [...box.querySelectorAll('a')].map((a) => a.getAttribute('href')),
      rels: [...box.querySelectorAll('a[href^="https"]')].map((a) => a.rel),
    };
  }, PWN);
  assert.equal(out.pwned, undefined);
  assert.doesNotMatch(out.html, /<script|<img|<svg|<iframe|<math|<form|<button|onerror|onclick|onmouseover|ontoggle|style=|javascript:|data:/i, out.html);
  assert.match(out.html, /<strong>bold<\/strong>/);
  assert.deepEqual(out.hrefs.filter(Boolean), ['https://example.org/x', 'mailto:a@b.it', 'tel:+39123', '/rel']);
  assert.deepEqual(out.rels, ['noopener noreferrer']);
  await context.close();
});

/** Opens `file` by keyboard and returns the page and the text of the load-error message. */
async function loadError(file) {
  const { context, page } = await newPage(browser, server.origin);
  await page.goto(`${server.origin}/__test/${file}`);
  const failed = page.waitForEvent('console', (m) => m.type() === 'error').catch(() => null);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await failed;
  await page.waitForFunction(() => document.querySelector('sportello-chat').shadowRoot.querySelector('.error'));
  const text = await inShadow(page, (root) => root.querySelector('.error').textContent);
  assert.match(text, /Non è stato possibile caricare l’assistente/);
  return { context, page, text };
}

test('a missing bundle gives an Italian error message in the dialog', async () => {
  const { context, page, text } = await loadError('missing.html');
  assert.match(text, /non trovata/);
  // Asking anyway does not throw.
  await page.keyboard.type('carta identità');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(100);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a bundle without prebuilt data is refused with a message to rebuild it and the contacts', async () => {
  const { context, page, text } = await loadError('unbuilt.html');
  assert.match(text, /sportello build/);
  assert.match(text, /0123 456789/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a bundle of a format this widget does not read is refused with the build to run and the contacts', async () => {
  const { context, page, text } = await loadError('future.html');
  assert.match(text, /bundle in formato 99, ma questa versione legge il formato 2/);
  assert.match(text, /sportello build <cartella della base di conoscenza> --out <cartella del bundle>/);
  assert.match(text, /0123 456789/);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a bundle of format 1 (an earlier Sportello) is refused with the build to run and the contacts', async () => {
  const { context, page, text } = await loadError('format1.html');
  assert.match(text, /bundle in formato 1, ma questa versione legge il formato 2/);
  assert.match(text, /sportello build <cartella della base di conoscenza> --out <cartella del bundle>/);
  assert.match(text, /0123 456789/);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a server that sends the wasm as application/octet-stream still gets a working widget', async () => {
  const { context, page } = await newPage(browser, server.origin);
  let served = null;
  await page.route('**/sportello_wasm_bg.wasm', async (route) => {
    const response = await route.fetch();
    served = 'application/octet-stream';
    await route.fulfill({ response, headers: { ...response.headers(), 'content-type': served } });
  });
  await page.goto(`${server.origin}/__test/index.html`);
  await page.waitForFunction(() => document.querySelector('sportello-chat').ready, null, { timeout: 20000 });
  assert.equal(served, 'application/octet-stream', 'the wasm went through the rewritten route');
  const reply = await page.evaluate(async () => {
    const host = document.querySelector('sportello-chat');
    await host.ask('orari biblioteca comunale');
    return JSON.parse(host.assistant.ask('orari biblioteca comunale'));
  });
  assert.equal(reply.kind, 'answer');
  assert.equal(reply.id, 'html-question');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('two widgets and a new src share one download and compilation of the engine', async () => {
  const { context, page } = await newPage(browser, server.origin);
  const wasmRequests = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) wasmRequests.push(r.url());
  });
  await page.goto(`${server.origin}/__test/two.html`);
  await page.waitForFunction(() => [...document.querySelectorAll('sportello-chat')].every((h) => h.ready));
  // A new knowledge-base address for one of them: it loads again, the engine is not fetched again.
  await page.evaluate(() => document.getElementById('b').setAttribute('src', '/__test/bundle/bundle.json'));
  await page.waitForFunction(() => document.getElementById('b').ready);
  const kinds = await page.evaluate(() => [...document.querySelectorAll('sportello-chat')]
    .map((h) => JSON.parse(h.assistant.ask('orari biblioteca comunale')).id));
  assert.deepEqual(kinds, ['html-question', 'html-question']);
  assert.equal(wasmRequests.length, 1, JSON.stringify(wasmRequests));
  assert.deepEqual(page.errors, []);
  await context.close();
});

// Widget reporting (`report-url`, opt-in): a declined question typed with a codice fiscale and
// a phone number reaches the real `sportello serve` redacted (in the browser, before it leaves
// the page), without cookies or referrer, through CORS, and appears in `sportello report`.
// Without `report-url` no request leaves the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { startServer, launch, newPage, distReady, REPO_ROOT } from './helpers.mjs';
import { sportelloTools } from './tools.mjs';

const QUESTION = 'quando passa il camion dei gelati? codice fiscale RSSMRA85T10A562S, telefono 333 1234567';
let web;
let browser;
let dir;
let tools;
let bot;
let botPort;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url) {
  for (let i = 0; i < 200; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch (_) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

before(async () => {
  distReady();
  tools = sportelloTools();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sportello-reporting-'));
  const kb = path.join(REPO_ROOT, 'knowledge-base/comune-di-esempio');
  web = await startServer(REPO_ROOT, { '/__test/': dir });
  const config = fs.readFileSync(path.join(REPO_ROOT, 'examples/bot/sportello.toml'), 'utf8')
    .replace('kb = "../../knowledge-base/comune-di-esempio"', `kb = ${JSON.stringify(kb)}`)
    .replace('database = "sportello-feedback.sqlite"', 'database = "feedback.sqlite"')
    .replace('widget_origins = ["http://localhost:8000", "http://127.0.0.1:8000"]', `widget_origins = [${JSON.stringify(web.origin)}]`);
  assert.ok(config.includes(JSON.stringify(kb)));
  assert.ok(config.includes(JSON.stringify(web.origin)));
  fs.writeFileSync(path.join(dir, 'sportello.toml'), config);
  botPort = await freePort();
  bot = spawn(tools.sportello, ['serve', '--config', path.join(dir, 'sportello.toml'), '--listen', `127.0.0.1:${botPort}`], {
    env: {
      ...process.env,
      SPORTELLO_TELEGRAM_SECRET: 'tg', SPORTELLO_META_APP_SECRET: 'app', SPORTELLO_META_VERIFY_TOKEN: 'v',
      SPORTELLO_META_ACCESS_TOKEN: 'a', SPORTELLO_GRAPH_BASE_URL: 'http://127.0.0.1:9/v21.0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`http://127.0.0.1:${botPort}/healthz`);
  const page = (reportUrl) => `<!DOCTYPE html><html lang="it"><head><meta charset="utf-8"><title>Prova</title>
<script type="module" src="/web-widget/dist/sportello.js"></script></head><body><main><h1>Prova</h1>
<sportello-chat src="/examples/website/bundle/" load="eager"${reportUrl ? ` report-url="${reportUrl}"` : ''}></sportello-chat></main></body></html>`;
  fs.writeFileSync(path.join(dir, 'on.html'), page(`http://127.0.0.1:${botPort}/v1/agencies/comune-di-esempio/feedback`));
  fs.writeFileSync(path.join(dir, 'off.html'), page(''));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await web?.close();
  if (bot && bot.exitCode === null) bot.kill('SIGKILL');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function askInPage(page, question) {
  await page.waitForFunction(() => document.querySelector('sportello-chat')?.ready === true);
  return page.evaluate((q) => document.querySelector('sportello-chat').ask(q).then((r) => r.kind), question);
}

test('without report-url no request leaves the page', async () => {
  const { context, page } = await newPage(browser, web.origin);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${web.origin}/__test/off.html`);
  assert.equal(await askInPage(page, QUESTION), 'decline');
  await page.waitForTimeout(300);
  assert.deepEqual(page.blocked, []);
  assert.ok(requests.every((u) => u.startsWith(web.origin + '/')), requests.join('\n'));
  await context.close();
});

test('with report-url a declined question reaches the server redacted and appears in the report', async () => {
  const context = await browser.newContext({ locale: 'it-IT' });
  const page = await context.newPage();
  const target = `http://127.0.0.1:${botPort}/v1/agencies/comune-di-esempio/feedback`;
  await page.goto(`${web.origin}/__test/on.html`);
  const posted = page.waitForRequest((r) => r.url() === target && r.method() === 'POST');
  const answered = page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST');
  assert.equal(await askInPage(page, QUESTION), 'decline');
  const req = await posted;
  const body = JSON.parse(req.postData());
  assert.equal(body.event, 'unanswered');
  assert.equal(body.channel, 'widget');
  assert.equal(body.question, 'quando passa il camion dei gelati? codice fiscale [CODICE FISCALE], telefono [TELEFONO]');
  const headers = await req.allHeaders();
  assert.equal(headers.cookie, undefined);
  assert.equal(headers.referer, undefined);
  assert.equal((await answered).status(), 200, 'CORS let the page post');
  await context.close();

  // SIGTERM: the server writes what is queued and stops.
  const exited = new Promise((r) => bot.once('exit', r));
  bot.kill('SIGTERM');
  await exited;
  const db = path.join(dir, 'feedback.sqlite');
  const rows = JSON.parse(tools.run(tools.sportello, ['report', db, '--json']));
  const row = rows.find((r) => r.example.includes('camion dei gelati'));
  assert.ok(row, JSON.stringify(rows));
  assert.equal(row.example, body.question);
  assert.equal(row.unanswered, 1);
  const all = ['', '-wal'].filter((x) => fs.existsSync(db + x)).map((x) => fs.readFileSync(db + x).toString('latin1')).join('');
  assert.ok(!all.includes('RSSMRA85T10A562S') && !all.includes('1234567'), 'no personal data in the database files');
  tools.run(tools.sportello, ['report', db, '--csv', path.join(dir, 'csv')]);
  assert.match(fs.readFileSync(path.join(dir, 'csv/settimane.csv'), 'utf8'), /,widget,decline,1\r\n/);
});

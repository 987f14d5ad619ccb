// Size and speed of the web widget, printed as a table:
//   - gzip (level 9) size of the wasm, of the JS (wasm-bindgen glue + widget) and of the example
//     bundle (bundle.json and bundle.bin, each compressed on its own, as a server sends them);
//   - page load → ready and page load → first answer on examples/website/ in headless
//     Chromium (median of RUNS runs, a fresh browser context each run);
//   - per-query latency in the browser over the example KB's dev questions (median, p95).
// Run web-widget/build.sh first. Usage: node web-widget/bench.mjs [--runs N] [--json] [--check]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { startServer, launch, newPage, WIDGET_DIR, REPO_ROOT, distReady } from './tests/helpers.mjs';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 9;
const asJson = args.includes('--json');
const WASM_LIMIT_KB = 900;
const BUNDLE_LIMIT_KB = 60;
const READY_LIMIT_MS = 500;

distReady();
const dist = path.join(WIDGET_DIR, 'dist');
const bundlePath = path.join(REPO_ROOT, 'examples/website/bundle/bundle.json');
const kb = (n) => n / 1024;
const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
// GNU gzip -9 compresses a little better than zlib (which web servers use); print both.
const gnuGzip = (buf) => {
  try {
    return execFileSync('gzip', ['-9', '-c'], { input: buf, maxBuffer: 64 << 20 }).length;
  } catch {
    return null;
  }
};
const br = (buf) => zlib.brotliCompressSync(buf).length;
const read = (f) => fs.readFileSync(f);

const binPath = path.join(path.dirname(bundlePath), 'bundle.bin');
const files = {
  wasm: [path.join(dist, 'sportello_wasm_bg.wasm')],
  js: [path.join(dist, 'sportello_wasm.js'), path.join(dist, 'sportello.js')],
  bundle_json: [bundlePath],
  bundle_bin: fs.existsSync(binPath) ? [binPath] : [],
};
const sizes = {};
for (const [name, list] of Object.entries(files)) {
  const buf = Buffer.concat(list.map(read));
  sizes[name] = { raw: buf.length, gzip: gz(buf), gnu_gzip: gnuGzip(buf), brotli: br(buf) };
}
// The whole bundle: its two files, each compressed on its own.
const sum = (a, b) => (a === null || b === null ? null : a + b);
sizes.bundle = Object.fromEntries(Object.keys(sizes.bundle_json).map((k) => [k, sum(sizes.bundle_json[k], sizes.bundle_bin[k])]));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const readQueries = () => {
  const dir = path.join(REPO_ROOT, 'tests/eval/comune-di-esempio');
  const out = [];
  for (const f of ['in-scope.jsonl', 'out-of-scope.jsonl']) {
    const p = path.join(dir, f);
    if (!fs.existsSync(p)) continue;
    for (const line of fs.readFileSync(p, 'utf8').split('\n')) if (line.trim()) out.push(JSON.parse(line).query);
  }
  return out.length ? out : ["quanto costa la carta d'identità", 'orari ztl', 'come pago la tari', 'certificato'];
};

const server = await startServer();
const browser = await launch();
const page_url = `${server.origin}/examples/website/`;

// Records the widget's events with their performance.now() (ms since navigation start) and
// reports each on the console: the benchmark listens for it instead of polling the page, since
// polling evaluates Playwright's own script in the page while it loads (≈ 20 ms of main thread).
const RECORD = () => {
  window.__bench = {};
  const report = (key) => console.debug(`sportello-bench:${key}`);
  document.addEventListener('sportello-ready', (e) => {
    window.__bench.ready = e.detail.timings;
    report('ready');
  });
  document.addEventListener('sportello-reply', (e) => {
    if (!window.__bench.firstReply) {
      window.__bench.firstReply = e.detail;
      report('firstReply');
    }
  });
};
const ASK_AT_ONCE = () => {
  document.addEventListener('DOMContentLoaded', () => {
    customElements.whenDefined('sportello-chat').then(() => {
      document.querySelector('sportello-chat').ask("quanto costa la carta d'identità");
    });
  });
};

async function run(kind) {
  const { context, page } = await newPage(browser, server.origin);
  await page.addInitScript(RECORD);
  if (kind === 'answer') await page.addInitScript(ASK_AT_ONCE);
  const key = kind === 'answer' ? 'firstReply' : 'ready';
  const visit = async () => {
    const reported = page.waitForEvent('console', {
      predicate: (m) => m.text() === `sportello-bench:${key}`,
      timeout: 30000,
    });
    await page.goto(page_url);
    await reported;
    return page.evaluate(() => ({
      ...window.__bench,
      load: performance.getEntriesByType('navigation')[0]?.loadEventEnd,
    }));
  };
  const data = await visit();
  if (kind === 'ready') {
    // A repeat visit in the same context: HTTP cache (revalidated) and V8's wasm code cache.
    await page.waitForTimeout(1500);
    data.repeat = await visit();
  }
  if (page.blocked.length) throw new Error(`third-party requests: ${page.blocked}`);
  await context.close();
  return data;
}

// Warm-up (file system cache, Chromium's code cache off since contexts are fresh).
await run('ready');
const readyRuns = [];
for (let i = 0; i < RUNS; i += 1) readyRuns.push(await run('ready'));
const answerRuns = [];
for (let i = 0; i < RUNS; i += 1) answerRuns.push(await run('answer'));

// Per-query latency, calling the engine directly in the page.
const { context, page } = await newPage(browser, server.origin);
await page.goto(page_url);
await page.waitForFunction(() => document.querySelector('sportello-chat')?.ready);
const queries = readQueries();
const latency = await page.evaluate((qs) => {
  const a = document.querySelector('sportello-chat').assistant;
  for (const q of qs.slice(0, 20)) a.ask(q); // warm-up
  const ask = [];
  const suggest = [];
  const kinds = {};
  for (const q of qs) {
    let t = performance.now();
    const r = JSON.parse(a.ask(q));
    ask.push(performance.now() - t);
    kinds[r.kind] = (kinds[r.kind] || 0) + 1;
    t = performance.now();
    a.suggest(q.slice(0, 12), 5);
    suggest.push(performance.now() - t);
  }
  return { ask, suggest, kinds };
}, queries);
// The same question typed in the widget (rendering included).
const uiTimes = await page.evaluate(async () => {
  const host = document.querySelector('sportello-chat');
  host.open();
  const times = [];
  for (let i = 0; i < 15; i += 1) {
    const t = performance.now();
    await host.ask(i % 2 ? 'orari ztl' : "quanto costa la carta d'identità");
    times.push(performance.now() - t);
  }
  return times;
});
await context.close();
await browser.close();
await server.close();

const figures = {
  sizes,
  runs: RUNS,
  ready_ms: {
    median: median(readyRuns.map((r) => r.ready.ready)),
    min: Math.min(...readyRuns.map((r) => r.ready.ready)),
    max: Math.max(...readyRuns.map((r) => r.ready.ready)),
    load_event_median: median(readyRuns.map((r) => r.load)),
    repeat_visit_median: median(readyRuns.map((r) => r.repeat.ready.ready)),
    repeat_visit_index_build_median: median(readyRuns.map((r) => r.repeat.ready.index)),
    breakdown_median: {
      start: median(readyRuns.map((r) => r.ready.start)),
      bundle_fetch: median(readyRuns.map((r) => r.ready.bundle)),
      wasm_fetch_compile_init: median(readyRuns.map((r) => r.ready.engine)),
      index_build: median(readyRuns.map((r) => r.ready.index)),
      prebuilt: readyRuns.every((r) => r.ready.prebuilt),
    },
  },
  first_answer_ms: {
    median: median(answerRuns.map((r) => r.firstReply.at)),
    min: Math.min(...answerRuns.map((r) => r.firstReply.at)),
    max: Math.max(...answerRuns.map((r) => r.firstReply.at)),
    ready_median: median(answerRuns.map((r) => r.ready.ready)),
  },
  query_ms: {
    queries: queries.length,
    kinds: latency.kinds,
    ask_median: median(latency.ask),
    ask_p95: pct(latency.ask, 95),
    ask_max: Math.max(...latency.ask),
    suggest_median: median(latency.suggest),
    suggest_p95: pct(latency.suggest, 95),
    widget_ask_render_median: median(uiTimes),
  },
};

if (asJson) {
  console.log(JSON.stringify(figures, null, 2));
} else {
  const f1 = (x) => x.toFixed(1);
  const cell = (n) => (n === null ? 'n/a' : `${n} B = ${f1(kb(n))} KB`).padStart(22);
  const row = (name, s) => `  ${name.padEnd(26)}${cell(s.raw)}${cell(s.gzip)}${cell(s.gnu_gzip)}${cell(s.brotli)}`;
  console.log('Sportello web widget: size and speed (KB = 1024 bytes)');
  console.log(`  ${''.padEnd(26)}${'raw'.padStart(22)}${'gzip -9 (zlib)'.padStart(22)}${'GNU gzip -9'.padStart(22)}${'brotli'.padStart(22)}`);
  console.log(row('wasm (sportello_wasm_bg)', sizes.wasm));
  console.log(row('JS (glue + sportello.js)', sizes.js));
  console.log(row('bundle.json (example KB)', sizes.bundle_json));
  console.log(row('bundle.bin (its tables)', sizes.bundle_bin));
  console.log(row('bundle, both files', sizes.bundle));
  const r = figures.ready_ms;
  const b = r.breakdown_median;
  console.log(`\nHeadless Chromium, examples/website/, median of ${RUNS} runs (ms since navigation start):`);
  console.log(`  page load → ready          ${f1(r.median)} ms (min ${f1(r.min)}, max ${f1(r.max)}; load event ${f1(r.load_event_median)} ms)`);
  console.log(`    widget starts loading at ${f1(b.start)} ms (module run); bundle fetched +${f1(b.bundle_fetch)} ms; wasm fetched+compiled+initialised +${f1(b.wasm_fetch_compile_init)} ms; engine ${b.prebuilt ? 'opened from the bundle\'s prebuilt index and tables' : 'built from the KB'} in ${f1(b.index_build)} ms (after the load event, when idle)`);
  console.log(`  repeat visit → ready       ${f1(r.repeat_visit_median)} ms (same context, cached files and compiled wasm; engine ready in ${f1(r.repeat_visit_index_build_median)} ms)`);
  const a = figures.first_answer_ms;
  console.log(`  page load → first answer   ${f1(a.median)} ms (min ${f1(a.min)}, max ${f1(a.max)}; question asked at DOMContentLoaded)`);
  const q = figures.query_ms;
  console.log(`\nPer-query latency in the browser (${q.queries} dev questions, ${JSON.stringify(q.kinds)}):`);
  console.log(`  ask      median ${q.ask_median.toFixed(2)} ms, p95 ${q.ask_p95.toFixed(2)} ms, max ${q.ask_max.toFixed(2)} ms`);
  console.log(`  suggest  median ${q.suggest_median.toFixed(2)} ms, p95 ${q.suggest_p95.toFixed(2)} ms`);
  console.log(`  widget ask + render, median ${q.widget_ask_render_median.toFixed(2)} ms`);
  const wasmOk = kb(sizes.wasm.gzip) <= WASM_LIMIT_KB; // the stricter zlib figure
  const readyOk = r.median <= READY_LIMIT_MS;
  const bundleOk = kb(sizes.bundle.gzip) <= BUNDLE_LIMIT_KB;
  console.log(`\nTargets: wasm ≤ ${WASM_LIMIT_KB} KB gzip: ${wasmOk ? 'ok' : 'OVER'}; example bundle ≤ ${BUNDLE_LIMIT_KB} KB gzip: ${bundleOk ? 'ok' : 'OVER'}; load → ready ≤ ${READY_LIMIT_MS} ms median: ${readyOk ? 'ok' : 'OVER'}`);
}
// --check: exit non-zero when a target is missed (KB = 1024 bytes).
if (args.includes('--check')) {
  const over = [];
  if (kb(sizes.wasm.gzip) > WASM_LIMIT_KB) over.push('wasm size');
  if (kb(sizes.bundle.gzip) > BUNDLE_LIMIT_KB) over.push('bundle size');
  if (figures.ready_ms.median > READY_LIMIT_MS) over.push('load → ready');
  if (over.length) {
    console.error(`bench: target missed: ${over.join(', ')}`);
    process.exit(1);
  }
}

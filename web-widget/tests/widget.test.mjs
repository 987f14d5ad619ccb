// Browser tests of <sportello-chat> on the example page (examples/website/), in headless
// Chromium: keyboard-only use, clarify and decline flows, feedback event, accessibility
// (axe-core, WCAG 2.1 AA), small screens and zoom, reduced motion, privacy (no third-party
// requests, no cookies), and a screenshot kept in web-widget/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  startServer, launch, newPage, inShadow, focused, ensureArtifacts, distReady,
} from './helpers.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let server;
let browser;
let artifacts;

before(async () => {
  distReady();
  server = await startServer();
  browser = await launch();
  artifacts = ensureArtifacts();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const PAGE = () => `${server.origin}/examples/website/`;

async function openExample(options) {
  const { context, page } = await newPage(browser, server.origin, options);
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.cspViolations = violations;
  await page.goto(PAGE());
  return { context, page };
}

/** Presses Tab until the launcher has focus (keyboard only, like a citizen would). */
async function tabToLauncher(page) {
  for (let i = 0; i < 60; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f && f.inShadow && f.cls.includes('launcher')) return f;
  }
  throw new Error('launcher never reached with Tab');
}

const REPLIES = '.bot.answer, .bot.clarify, .bot.decline, .bot.small-talk, .bot.error';

/** Types a question in the focused input, presses Enter and waits for the reply. */
async function askByKeyboard(page, question) {
  const before = await inShadow(page, (root, host, sel) => root.querySelectorAll(sel).length, REPLIES);
  await page.keyboard.type(question);
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    ([n, sel]) => document.querySelector('sportello-chat').shadowRoot.querySelectorAll(sel).length > n,
    [before, REPLIES],
  );
  return lastBot(page);
}

async function lastBot(page) {
  return inShadow(page, (root, host, sel) => {
    const all = root.querySelectorAll(sel);
    const last = all[all.length - 1];
    return { cls: last.className, text: last.textContent };
  }, REPLIES);
}

async function waitForReplyCount(page, n) {
  await page.waitForFunction(
    ([k, sel]) => document.querySelector('sportello-chat').shadowRoot.querySelectorAll(sel).length >= k,
    [n, REPLIES],
  );
}

async function assertPrivacy(page, context) {
  assert.deepEqual(page.blocked, [], `third-party requests attempted: ${page.blocked.join(', ')}`);
  assert.deepEqual(await context.cookies(), [], 'no cookies');
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0, 'no storage');
}

test('keyboard only: Tab to the launcher, Enter, ask the CIE cost, read the answer', async () => {
  const { context, page } = await openExample();
  const launcher = await tabToLauncher(page);
  assert.match(launcher.name, /Assistente/);
  await page.keyboard.press('Enter');
  const f = await focused(page);
  assert.equal(f.tag, 'input', 'focus moves to the question field when the dialog opens');
  const dialog = await inShadow(page, (root) => {
    const d = root.querySelector('[role="dialog"]');
    return {
      hidden: d.hidden, modal: d.getAttribute('aria-modal'),
      label: root.getElementById(d.getAttribute('aria-labelledby'))?.textContent,
      log: !!d.querySelector('[role="log"][aria-live="polite"]'),
    };
  });
  assert.equal(dialog.hidden, false);
  assert.equal(dialog.modal, 'true');
  assert.match(dialog.label, /Assistente/);
  assert.ok(dialog.log, 'a polite live log');

  const reply = await askByKeyboard(page, "quanto costa la carta d'identità");
  assert.match(reply.cls, /answer/);
  assert.match(reply.text, /22,21 euro/);
  assert.match(reply.text, /27,37 euro/);
  // Markdown rendered: bold text and a link that opens safely.
  const details = await inShadow(page, (root) => {
    const a = root.querySelector('.answer[data-id="cie-costo"]');
    const link = a.querySelector('.body a');
    return { strong: a.querySelectorAll('.body strong').length, href: link?.href, rel: link?.rel };
  });
  assert.ok(details.strong > 0);
  assert.match(details.href, /^https:\/\/www\.comune-di-esempio\.example\//);
  assert.match(details.rel, /noopener/);
  // The AI disclosure is visible in the dialog.
  const disclosure = await inShadow(page, (root) => {
    const d = root.querySelector('.disclosure');
    return { text: d.textContent, visible: d.getClientRects().length > 0 };
  });
  assert.ok(disclosure.visible);
  assert.match(disclosure.text, /assistente automatico/);
  // Focus stays in the field, ready for the next question.
  assert.equal((await focused(page)).tag, 'input');
  // The engine was opened from the bundle's prebuilt index, not built in the page (a
  // bundle written by another version of Sportello would be built, and slower).
  assert.equal(await page.evaluate(() => document.querySelector('sportello-chat').timings.prebuilt), true);
  await page.screenshot({ path: path.join(artifacts, 'answer.png') });

  // Esc closes and gives focus back to the launcher.
  await page.keyboard.press('Escape');
  const after = await focused(page);
  assert.match(after.cls, /launcher/);
  assert.equal(await inShadow(page, (root) => root.querySelector('[role="dialog"]').hidden), true);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.consoleErrors, [], 'no console errors (404s, CSP, wasm)');
  assert.deepEqual(page.cspViolations, [], 'works under the page CSP');
  await assertPrivacy(page, context);
  await context.close();
});

test('clarify flow by keyboard only: "Forse cercavi…" options are buttons', async () => {
  const { context, page } = await openExample();
  await tabToLauncher(page);
  await page.keyboard.press('Enter');
  const reply = await askByKeyboard(page, 'certificato');
  assert.match(reply.cls, /clarify/);
  assert.match(reply.text, /Forse cercavi/);
  const options = await inShadow(page, (root) => [...root.querySelectorAll('.clarify button.choice')].map((b) => b.textContent));
  assert.ok(options.length >= 2, `options: ${options}`);
  // From the question field, Shift+Tab reaches the last option; walk up to the first.
  await page.keyboard.press('Shift+Tab');
  let f = await focused(page);
  assert.equal(f.tag, 'button');
  assert.equal(f.name, options[options.length - 1]);
  for (let i = options.length - 1; i > 0; i -= 1) await page.keyboard.press('Shift+Tab');
  f = await focused(page);
  assert.equal(f.name, options[0]);
  await page.keyboard.press('Enter');
  await waitForReplyCount(page, 2);
  const answer = await lastBot(page);
  assert.match(answer.cls, /answer/);
  assert.ok(answer.text.includes(options[0]), 'the chosen question is answered');
  // The choice is shown as the citizen's message and focus returns to the field.
  const userMsgs = await inShadow(page, (root) => [...root.querySelectorAll('.user')].map((u) => u.textContent));
  assert.ok(userMsgs.some((t) => t.includes(options[0])));
  assert.equal((await focused(page)).tag, 'input');
  assert.deepEqual(page.errors, []);
  await assertPrivacy(page, context);
  await context.close();
});

test('an answer shows when it was last checked and its official page', async () => {
  const { context, page } = await openExample();
  await tabToLauncher(page);
  await page.keyboard.press('Enter');
  const reply = await askByKeyboard(page, "quanto costa la carta d'identità?");
  assert.match(reply.cls, /answer/);
  const meta = await inShadow(page, (root) => {
    const all = root.querySelectorAll('.bot.answer');
    const m = all[all.length - 1];
    return {
      updated: m.querySelector('.updated')?.textContent,
      source: m.querySelector('.meta a[href^="https:"]')?.getAttribute('href'),
    };
  });
  // cie-costo.md: reviewed = 2026-03-10.
  assert.equal(meta.updated, 'Aggiornato il 10 marzo 2026');
  assert.equal(meta.source, 'https://www.comune-di-esempio.example/servizi/carta-identita');
  await context.close();
});

test('decline flow shows the agency contacts', async () => {
  const { context, page } = await openExample();
  await tabToLauncher(page);
  await page.keyboard.press('Enter');
  const reply = await askByKeyboard(page, 'come si rinnova il passaporto in Francia?');
  assert.match(reply.cls, /decline/);
  // Another administration's matter: the reply names the office that handles it.
  assert.match(reply.text, /Questura/);
  const card = await inShadow(page, (root) => {
    const all = root.querySelectorAll('.decline');
    const c = all[all.length - 1].querySelector('.contacts');
    return {
      text: c.textContent,
      tel: c.querySelector('a[href^="tel:"]')?.getAttribute('href'),
      mail: c.querySelector('a[href^="mailto:"]')?.getAttribute('href'),
      url: c.querySelector('a[href^="https:"]')?.getAttribute('href'),
    };
  });
  assert.match(card.text, /URP/);
  assert.match(card.text, /\+39 0123 456789/);
  assert.match(card.text, /8:30-12:30/);
  assert.equal(card.tel, 'tel:+390123456789');
  assert.equal(card.mail, 'mailto:urp@comune-di-esempio.example');
  assert.equal(card.url, 'https://www.comune-di-esempio.example/urp');
  await assertPrivacy(page, context);
  await context.close();
});

test('feedback 👍/👎 is a DOM event for the host page, with no network', async () => {
  const { context, page } = await openExample();
  await page.evaluate(() => {
    window.__feedback = [];
    document.addEventListener('sportello-feedback', (e) => window.__feedback.push(e.detail));
  });
  await tabToLauncher(page);
  await page.keyboard.press('Enter');
  await askByKeyboard(page, 'orari della ztl');
  const requestsBefore = [];
  page.on('request', (r) => requestsBefore.push(r.url()));
  // Keyboard: Shift+Tab from the field goes back through the answer's buttons.
  let f;
  for (let i = 0; i < 10; i += 1) {
    await page.keyboard.press('Shift+Tab');
    f = await focused(page);
    if (f.cls.includes('fb') && /Sì/.test(f.name)) break;
  }
  assert.match(f.name, /Sì, utile/);
  await page.keyboard.press('Enter');
  const events = await page.evaluate(() => window.__feedback);
  assert.equal(events.length, 1);
  assert.equal(events[0].helpful, true);
  assert.equal(typeof events[0].id, 'string');
  assert.equal(typeof events[0].question, 'string');
  assert.match(await page.textContent('#feedback-log'), /utile/);
  const pressed = await inShadow(page, (root) => root.querySelector('.fb[data-helpful="true"]').getAttribute('aria-pressed'));
  assert.equal(pressed, 'true');
  assert.deepEqual(requestsBefore, [], 'feedback sends nothing');
  await assertPrivacy(page, context);
  await context.close();
});

test('axe-core: no WCAG 2.1 AA violations on the open widget with a conversation', async () => {
  const { context, page } = await openExample();
  await tabToLauncher(page);
  await page.keyboard.press('Enter');
  await askByKeyboard(page, "quanto costa la carta d'identità");
  await askByKeyboard(page, 'certificato');
  await askByKeyboard(page, 'come si rinnova il passaporto in Francia?');
  await askByKeyboard(page, 'grazie');
  // Suggestions open too (combobox with listbox).
  await page.keyboard.type('tari scad');
  await page.waitForFunction(() => !document.querySelector('sportello-chat').shadowRoot.querySelector('[role="listbox"]').hidden);
  await page.keyboard.press('ArrowDown');
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ') + ' ' + n.failureSummary) }));
  });
  assert.deepEqual(results, [], JSON.stringify(results, null, 2));
  await page.keyboard.press('Escape'); // closes the suggestions first
  await page.screenshot({ path: path.join(artifacts, 'conversation.png') });
  assert.equal(await inShadow(page, (root) => root.querySelector('[role="dialog"]').hidden), false, 'first Esc only closes the suggestions');
  // Closed state, launcher only.
  await page.keyboard.press('Escape');
  await page.evaluate(AXE_SOURCE);
  const closed = await page.evaluate(async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations.map((v) => v.id));
  assert.deepEqual(closed, []);
  await context.close();
});

test('suggestions while typing: arrows and Enter pick a question', async () => {
  const { context, page } = await openExample();
  await tabToLauncher(page);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('sportello-chat').ready);
  await page.keyboard.type('costo cie');
  await page.waitForFunction(() => !document.querySelector('sportello-chat').shadowRoot.querySelector('[role="listbox"]').hidden);
  await page.keyboard.press('ArrowDown');
  const state = await inShadow(page, (root) => {
    const input = root.querySelector('input');
    const active = root.getElementById(input.getAttribute('aria-activedescendant'));
    return { expanded: input.getAttribute('aria-expanded'), active: active?.textContent, selected: active?.getAttribute('aria-selected') };
  });
  assert.equal(state.expanded, 'true');
  assert.equal(state.selected, 'true');
  await page.keyboard.press('Enter');
  await waitForReplyCount(page, 1);
  const answer = await lastBot(page);
  assert.match(answer.cls, /answer/);
  assert.ok(answer.text.includes(state.active));
  await context.close();
});

test('small screens: 320 px wide and 200% zoom keep everything usable', async () => {
  // 200% zoom of a 1280x720 window is a 640x360 CSS-pixel viewport; 320 px is the reflow case.
  for (const [w, h, name] of [[320, 640, 'mobile-320'], [640, 360, 'zoom-200']]) {
    const { context, page } = await openExample({ viewport: { width: w, height: h } });
    await tabToLauncher(page);
    await page.keyboard.press('Enter');
    await askByKeyboard(page, "quanto costa la carta d'identità");
    const box = await inShadow(page, async (root) => {
      // Measure the resting layout, not a frame of the 160 ms opening animation.
      const dialog = root.querySelector('[role="dialog"]');
      await Promise.all(dialog.getAnimations({ subtree: true }).map((a) => a.finished));
      const d = dialog.getBoundingClientRect();
      const log = root.querySelector('[role="log"]');
      const input = root.querySelector('input').getBoundingClientRect();
      const send = root.querySelector('.send').getBoundingClientRect();
      return {
        left: d.left, right: d.right, top: d.top, bottom: d.bottom,
        hscroll: log.scrollWidth - log.clientWidth, logHeight: log.clientHeight,
        inputVisible: input.bottom <= innerHeight && input.width > 100, sendVisible: send.right <= innerWidth,
      };
    });
    assert.ok(box.left >= 0 && box.right <= w && box.top >= 0 && box.bottom <= h, `${name}: dialog inside the viewport ${JSON.stringify(box)}`);
    assert.ok(box.hscroll <= 1, `${name}: no horizontal scrolling`);
    assert.ok(box.logHeight > 80, `${name}: room to read`);
    assert.ok(box.inputVisible && box.sendVisible, `${name}: input and send button visible`);
    await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
    await context.close();
  }
});

test('prefers-reduced-motion: no animation', async () => {
  const { context, page } = await openExample({ reducedMotion: 'reduce' });
  await tabToLauncher(page);
  await page.keyboard.press('Enter');
  const anim = await inShadow(page, (root) => {
    const d = root.querySelector('[role="dialog"]');
    return { name: getComputedStyle(d).animationName, scroll: getComputedStyle(root.querySelector('.log')).scrollBehavior };
  });
  assert.equal(anim.name, 'none');
  assert.equal(anim.scroll, 'auto');
  await context.close();
});

test('Tab stays inside the open dialog', async () => {
  const { context, page } = await openExample();
  await tabToLauncher(page);
  await page.keyboard.press('Enter');
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    assert.ok(f.inShadow, `focus left the dialog: ${JSON.stringify(f)}`);
    assert.doesNotMatch(f.cls, /launcher/);
  }
  await context.close();
});

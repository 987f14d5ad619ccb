// Sportello: the <sportello-chat> custom element.
//
//   <script type="module" src="/sportello/sportello.js"></script>
//   <sportello-chat src="/sportello/bundle/"></sportello-chat>
//
// An ES module with no dependencies and no network access other than the widget's own files
// (the engine in WebAssembly, next to this file) and the knowledge-base bundle given in `src`.
// Answers come from the engine as already sanitised HTML; they are sanitised here once more
// (defence in depth). Every other text (the citizen's messages, questions, contacts) is
// inserted with textContent, never as HTML.
// Licence: MIT OR Apache-2.0.

/** The Italian strings of the interface; override any of them (see README). */
export const DEFAULT_STRINGS = Object.freeze({
  launcher: 'Assistente virtuale',
  title: 'Assistente virtuale',
  close: "Chiudi l'assistente",
  conversation: 'Conversazione con l’assistente',
  inputLabel: 'La sua domanda',
  placeholder: "Es.: quanto costa la carta d'identità?",
  send: 'Invia',
  welcome:
    'Buongiorno! Scriva la sua domanda in poche parole, ad esempio «come si paga la TARI?».',
  loading: 'Caricamento dell’assistente in corso…',
  loadError:
    'Non è stato possibile caricare l’assistente. Riprovi più tardi o contatti direttamente l’ente.',
  you: 'Lei:',
  bot: 'Assistente:',
  clarifyHint: 'Scelga una delle domande:',
  related: 'Domande collegate:',
  source: 'Pagina ufficiale',
  updated: 'Aggiornato il',
  newTab: '(si apre in una nuova scheda)',
  feedbackQuestion: 'La risposta è stata utile?',
  feedbackYes: 'Sì, utile',
  feedbackNo: 'No, non utile',
  feedbackThanks: 'Grazie per il riscontro.',
  contactsTitle: 'Contatti',
  notice: 'Avviso',
  noticeUrgent: 'Avviso urgente',
  phone: 'Telefono',
  email: 'E-mail',
  hours: 'Orari',
  url: 'Sito web',
  address: 'Indirizzo',
  suggestions: 'Domande suggerite',
  agencyFallback: 'l’ente',
});

const STYLE = `
:host {
  --_primary: var(--sportello-primary, #0066cc);
  --_primary-hover: var(--sportello-primary-hover, #004d99);
  --_on-primary: var(--sportello-on-primary, #ffffff);
  --_text: var(--sportello-text, #1a1a1a);
  --_muted: var(--sportello-muted, #5c6f82);
  --_bg: var(--sportello-bg, #ffffff);
  --_surface: var(--sportello-surface, #f2f7fc);
  --_user-bg: var(--sportello-user-bg, #0066cc);
  --_user-text: var(--sportello-user-text, #ffffff);
  --_border: var(--sportello-border, #5c6f82);
  --_focus: var(--sportello-focus, #0066cc);
  --_danger: var(--sportello-danger, #a61c2f);
  --_radius: var(--sportello-radius, 4px);
  --_shadow: var(--sportello-shadow, 0 0.25em 1.5em rgba(0, 0, 0, 0.25));
  --_space: var(--sportello-space, 0.5em);
  --_width: var(--sportello-width, 25em);
  --_height: var(--sportello-height, 38em);
  --_z: var(--sportello-z-index, 1000);
  --_offset: var(--sportello-offset, 1em);
  font-family: var(--sportello-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif);
  font-size: var(--sportello-font-size, 1rem);
  line-height: 1.5;
  color: var(--_text);
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
button, input { font: inherit; color: inherit; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
a { color: var(--_primary); text-decoration: underline; }
a:hover { color: var(--_primary-hover); }

.launcher {
  position: fixed; right: var(--_offset); bottom: var(--_offset); z-index: var(--_z);
  display: inline-flex; align-items: center; gap: var(--_space);
  min-height: 3em; padding: 0.5em 1.25em 0.5em 1em;
  background: var(--_primary); color: var(--_on-primary);
  border: 2px solid transparent; border-radius: 1.5em; box-shadow: var(--_shadow);
  font-weight: 600;
}
:host([position="left"]) .launcher, :host([position="left"]) .dialog { right: auto; left: var(--_offset); }
.launcher:hover { background: var(--_primary-hover); }
.launcher svg { width: 1.5em; height: 1.5em; flex: none; }

.dialog {
  position: fixed; right: var(--_offset); bottom: var(--_offset); z-index: var(--_z);
  width: min(var(--_width), calc(100vw - 2 * var(--_offset)));
  height: min(var(--_height), calc(100vh - 2 * var(--_offset)));
  display: flex; flex-direction: column;
  background: var(--_bg); color: var(--_text);
  border: 1px solid var(--_border); border-radius: var(--_radius); box-shadow: var(--_shadow);
  overflow: hidden;
  animation: sportello-in 160ms ease-out;
}
@keyframes sportello-in { from { opacity: 0; transform: translateY(1em); } to { opacity: 1; transform: none; } }
@media (max-width: 32em), (max-height: 34em) {
  .dialog { inset: 0; width: auto; height: auto; border: 0; border-radius: 0; }
}

.header {
  display: flex; align-items: center; gap: var(--_space);
  padding: 0.5em 0.5em 0.5em 1em; background: var(--_primary); color: var(--_on-primary);
}
.header .titles { flex: 1; min-width: 0; }
.title { margin: 0; font-size: 1.125em; font-weight: 700; line-height: 1.3; }
.agency { margin: 0; font-size: 0.875em; overflow-wrap: anywhere; }
.close {
  flex: none; display: inline-flex; align-items: center; justify-content: center;
  width: 2.75em; height: 2.75em; padding: 0; background: transparent; color: var(--_on-primary);
  border: 2px solid transparent; border-radius: var(--_radius);
}
.close:hover { border-color: var(--_on-primary); }
.close svg { width: 1.25em; height: 1.25em; }
.header :focus-visible { outline-color: var(--_on-primary); outline-offset: -4px; }

.log {
  flex: 1; min-height: 4em; overflow-y: auto; overscroll-behavior: contain; scroll-behavior: smooth;
  padding: 1em; display: flex; flex-direction: column; gap: 0.75em;
}
.log:focus-visible { outline-offset: -3px; }
.disclosure {
  margin: 0; padding: 0.5em 0.75em; font-size: 0.875em; color: var(--_muted);
  border-left: 4px solid var(--_primary); background: var(--_bg);
}
.msg { max-width: 100%; overflow-wrap: anywhere; }
.msg p { margin: 0 0 0.5em; }
.msg > :last-child, .msg .body > :last-child { margin-bottom: 0; }
.bot { align-self: flex-start; width: 100%; padding: 0.75em 1em; background: var(--_surface); border-radius: var(--_radius); }
.user {
  align-self: flex-end; max-width: 85%; padding: 0.5em 1em; white-space: pre-wrap;
  background: var(--_user-bg); color: var(--_user-text); border-radius: var(--_radius);
}
.error { border-left: 4px solid var(--_danger); }
.q { font-weight: 700; margin: 0 0 0.5em; }
.body ul, .body ol { margin: 0 0 0.5em; padding-left: 1.5em; }
.body h1, .body h2, .body h3, .body h4, .body h5, .body h6 { font-size: 1em; margin: 0.75em 0 0.25em; }
.body pre { white-space: pre-wrap; }
.body table { border-collapse: collapse; }
.body th, .body td { border: 1px solid var(--_border); padding: 0.25em 0.5em; text-align: left; }
.body blockquote { margin: 0 0 0.5em; padding-left: 0.75em; border-left: 3px solid var(--_border); }
.meta { margin: 0.75em 0 0; font-size: 0.875em; }
.choices { list-style: none; margin: 0.5em 0 0; padding: 0; display: flex; flex-direction: column; gap: 0.5em; }
.choice {
  width: 100%; text-align: left; padding: 0.5em 0.75em; min-height: 2.75em;
  background: var(--_bg); color: var(--_primary); border: 2px solid var(--_primary); border-radius: var(--_radius);
  font-weight: 600;
}
.choice:hover { background: var(--_primary); color: var(--_on-primary); }
.feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5em; margin-top: 0.75em; font-size: 0.875em; }
.feedback span { color: var(--_muted); }
.fb {
  display: inline-flex; align-items: center; justify-content: center; min-width: 2.75em; min-height: 2.75em;
  padding: 0 0.5em; background: var(--_bg); border: 2px solid var(--_border); border-radius: var(--_radius); font-size: 1.1em;
}
.fb[aria-pressed="true"] { border-color: var(--_primary); background: var(--_primary); }
.thanks { color: var(--_text); }
.notice { margin: 0 0 0.75em; padding: 0.5em 0.75em; background: #fff8e1; color: #1a1a1a; border-left: 4px solid #8a5a00; border-radius: var(--_radius); }
.notice.high { background: #fdecea; border-left-color: #a4000f; }
.notice .notice-title { font-weight: 700; margin: 0 0 0.25em; }
.notice .notice-title .tag { display: inline-block; margin-right: 0.5em; padding: 0 0.4em; border-radius: 0.25em; background: #8a5a00; color: #ffffff; font-size: 0.8em; }
.notice.high .notice-title .tag { background: #a4000f; }
.notice a { color: #003d80; }
.contacts { margin: 0.75em 0 0; padding: 0.75em; background: var(--_bg); border: 1px solid var(--_border); border-radius: var(--_radius); }
.contacts .office { font-weight: 700; margin: 0 0 0.25em; }
.contacts dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0.25em 0.75em; }
.contacts dt { color: var(--_muted); }
.contacts dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 20em) { .contacts dl { grid-template-columns: 1fr; } .contacts dd { margin-bottom: 0.25em; } }

.composer { position: relative; display: flex; gap: var(--_space); padding: 0.75em; border-top: 1px solid var(--_border); background: var(--_bg); }
.input {
  flex: 1; min-width: 0; min-height: 2.75em; padding: 0.5em 0.75em;
  background: var(--_bg); color: var(--_text); border: 1px solid var(--_border); border-radius: var(--_radius);
}
.input::placeholder { color: var(--_muted); opacity: 1; }
.send {
  flex: none; min-height: 2.75em; padding: 0.5em 1em; font-weight: 600;
  background: var(--_primary); color: var(--_on-primary); border: 2px solid transparent; border-radius: var(--_radius);
}
.send:hover { background: var(--_primary-hover); }
.suggest {
  position: absolute; left: 0.75em; right: 0.75em; bottom: 100%; margin: 0 0 0.25em; padding: 0.25em 0;
  list-style: none; background: var(--_bg); border: 1px solid var(--_border); border-radius: var(--_radius); box-shadow: var(--_shadow);
  max-height: 50vh; overflow-y: auto;
}
.suggest li { padding: 0.5em 0.75em; cursor: pointer; }
.suggest li[aria-selected="true"], .suggest li:hover { background: var(--_primary); color: var(--_on-primary); }
@media (prefers-reduced-motion: reduce) {
  .dialog { animation: none; }
  .log { scroll-behavior: auto; }
}
@media print { .launcher, .dialog { display: none !important; } }
@media (forced-colors: active) {
  .launcher, .send, .choice, .fb, .dialog, .user, .bot { border: 2px solid ButtonText; }
  .suggest li[aria-selected="true"] { outline: 2px solid Highlight; }
}
`;

const ICON_CHAT =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v11h2v2l2.5-2H20V5H4zm3 4h10v2H7V9zm0-3h10v2H7V6zm0 6h6v2H7v-2z"/></svg>';
const ICON_CLOSE =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M5.3 3.9 12 10.6l6.7-6.7 1.4 1.4-6.7 6.7 6.7 6.7-1.4 1.4-6.7-6.7-6.7 6.7-1.4-1.4 6.7-6.7-6.7-6.7z"/></svg>';

// --- Defence in depth: the engine's HTML is already safe; keep only what we expect. ---

const ALLOWED_TAGS = new Set([
  'P', 'BR', 'STRONG', 'B', 'EM', 'I', 'U', 'S', 'DEL', 'CODE', 'PRE', 'UL', 'OL', 'LI', 'A',
  'BLOCKQUOTE', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HR', 'SPAN', 'SUP', 'SUB', 'SMALL',
  'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD',
]);
// Removed with their content (everything else that is not allowed is unwrapped to its text).
const DROPPED_TAGS = new Set([
  'SCRIPT', 'STYLE', 'TEMPLATE', 'IFRAME', 'FRAME', 'FRAMESET', 'OBJECT', 'EMBED', 'APPLET',
  'SVG', 'MATH', 'NOSCRIPT', 'LINK', 'META', 'BASE', 'FORM', 'INPUT', 'TEXTAREA', 'SELECT',
  'BUTTON', 'IMG', 'VIDEO', 'AUDIO', 'SOURCE', 'TRACK', 'CANVAS', 'PICTURE', 'PORTAL', 'DIALOG',
]);
const ALLOWED_ATTRS = { A: ['href', 'title'], OL: ['start'], TH: ['colspan', 'rowspan'], TD: ['colspan', 'rowspan'] };

/** True for http(s), mailto, tel and relative URLs; false for javascript:, data:, etc. */
export function isSafeUrl(url) {
  const u = String(url).replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(u);
  return !m || ['http', 'https', 'mailto', 'tel'].includes(m[1].toLowerCase());
}

/** Parses HTML inertly and returns a fragment with only the allowed elements and attributes. */
export function sanitizeHtml(html, strings = DEFAULT_STRINGS) {
  const tpl = document.createElement('template');
  tpl.innerHTML = String(html);
  const walk = (parent) => {
    for (const node of [...parent.childNodes]) {
      if (node.nodeType === Node.TEXT_NODE) continue;
      if (node.nodeType !== Node.ELEMENT_NODE) {
        node.remove();
        continue;
      }
      const tag = node.tagName.toUpperCase();
      if (DROPPED_TAGS.has(tag) || node.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
        node.remove();
        continue;
      }
      if (!ALLOWED_TAGS.has(tag)) {
        walk(node);
        node.replaceWith(...node.childNodes);
        continue;
      }
      const keep = ALLOWED_ATTRS[tag] || [];
      for (const attr of [...node.attributes]) {
        if (!keep.includes(attr.name.toLowerCase())) node.removeAttribute(attr.name);
      }
      if (tag === 'A') {
        const href = node.getAttribute('href');
        if (href === null || !isSafeUrl(href)) {
          node.removeAttribute('href');
        } else if (/^https?:/i.test(href.trim())) {
          node.setAttribute('target', '_blank');
          node.setAttribute('rel', 'noopener noreferrer');
          const note = document.createElement('span');
          note.className = 'sr-only';
          note.textContent = ' ' + strings.newTab;
          node.append(note);
        }
      }
      walk(node);
    }
  };
  walk(tpl.content);
  return tpl.content;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function fill(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
}

/**
 * Fetches and compiles the engine once per page (several widgets, or a new `src`, share it):
 * streaming (compiled as the bytes arrive) when the server sends `application/wasm`, from the
 * whole file otherwise. A failure is not kept, so that a later attempt fetches again.
 */
const compiledWasm = new Map();
function compileWasm(url) {
  const key = String(url);
  if (!compiledWasm.has(key)) {
    const compiling = fetchAndCompile(url);
    compiling.catch(() => compiledWasm.delete(key));
    compiledWasm.set(key, compiling);
  }
  return compiledWasm.get(key);
}

async function fetchAndCompile(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`motore non trovato (${url}: HTTP ${response.status})`);
  const type = (response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  if (type === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function') {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

let instances = 0;
const idle = (fn) =>
  'requestIdleCallback' in window ? requestIdleCallback(fn, { timeout: 1500 }) : setTimeout(fn, 200);

/**
 * <sportello-chat src="bundle/"> — attributes: `src` (bundle folder or .json URL),
 * `load` ("idle", default: download at once, build the index when idle; "open": nothing until
 * the launcher is hovered, focused or pressed; "eager"), `position` ("right", default; "left"),
 * `open` (present while the dialog is open), `report-url` (opt-in, off by default: the URL of
 * `sportello serve`'s feedback route, `…/v1/agencies/<id>/feedback`; declined and clarified
 * questions and votes are posted there with the typed text redacted in the browser by the
 * core's rules, without cookies, referrer or any identifier).
 * Events: `sportello-ready`, `sportello-reply`, `sportello-feedback`, `sportello-error`.
 */
export class SportelloChat extends HTMLElement {
  static get observedAttributes() {
    return ['src'];
  }

  constructor() {
    super();
    this._n = ++instances;
    this._strings = { ...DEFAULT_STRINGS };
    this._assistant = null;
    this._info = null;
    this._loading = null;
    this._suggestions = [];
    this._active = -1;
    this._welcomed = false;
    this.ready = false;
    this.timings = {};
    this.attachShadow({ mode: 'open' });
  }

  /** The interface strings; assign an object to override some of them. */
  get strings() {
    return { ...this._strings };
  }
  set strings(value) {
    this._strings = { ...this._strings, ...(value || {}) };
    if (this._built) this._applyStrings();
  }

  /** The engine (an `Assistant` of sportello_wasm.js) once ready, else null. */
  get assistant() {
    return this._assistant;
  }
  /** Agency name, contacts and AI disclosure once ready, else null. */
  get info() {
    return this._info;
  }
  get isOpen() {
    return this.hasAttribute('open');
  }

  connectedCallback() {
    // The downloads start first: building the interface takes the main thread a while.
    const mode = (this.getAttribute('load') || 'idle').toLowerCase();
    if (mode === 'eager') this.load();
    else if (mode !== 'open') {
      // Download and compile at once (off the main thread), open the engine when idle.
      this._deferIndex = true;
      this.load();
    }
    if (!this._built) {
      this._readStringsSlot();
      this._build();
    }
  }

  /** Resolves when the main thread is idle, or at once if the citizen needs the engine. */
  _indexGate() {
    if (!this._deferIndex) return null;
    return new Promise((resolve) => {
      this._releaseGate = resolve;
      const go = () => idle(resolve);
      if (document.readyState === 'complete') go();
      else window.addEventListener('load', go, { once: true });
    });
  }

  _urgent() {
    this._deferIndex = false;
    if (this._releaseGate) this._releaseGate();
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (name === 'src' && oldValue !== null && oldValue !== newValue && this._loading) {
      // A new knowledge base: start again.
      this._assistant = null;
      this._info = null;
      this._loading = null;
      this._loadError = null;
      this._errorShown = false;
      this.ready = false;
      this.removeAttribute('ready');
      if (this.isOpen || this.getAttribute('load') !== 'open') this.load();
    }
  }

  _readStringsSlot() {
    const script = this.querySelector('script[type="application/json"]');
    if (!script) return;
    try {
      const parsed = JSON.parse(script.textContent);
      if (parsed && typeof parsed === 'object') this._strings = { ...this._strings, ...parsed };
    } catch (e) {
      console.warn('sportello-chat: stringhe JSON non valide', e);
    }
  }

  _build() {
    const s = this._strings;
    const id = (x) => `sportello-${this._n}-${x}`;
    const root = this.shadowRoot;
    // A constructed stylesheet works under a strict CSP (no 'unsafe-inline' for styles);
    // a <style> element is the fallback for older browsers.
    let style = null;
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
    } catch (_) {
      style = document.createElement('style');
      style.textContent = STYLE;
    }

    this._launcher = el('button', {
      class: 'launcher', type: 'button', part: 'launcher', lang: 'it',
      'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': id('dialog'),
      onclick: () => this.open(),
      onpointerenter: () => { this.load(); this._urgent(); },
      onfocus: () => { this.load(); this._urgent(); },
    });
    this._launcher.innerHTML = ICON_CHAT; // a constant
    this._launcherText = el('span', { text: s.launcher });
    this._launcher.append(this._launcherText);

    this._title = el('h2', { class: 'title', id: id('title'), text: s.title });
    this._agency = el('p', { class: 'agency' });
    this._close = el('button', { class: 'close', type: 'button', 'aria-label': s.close, onclick: () => this.close() });
    this._close.innerHTML = ICON_CLOSE; // a constant
    const header = el('div', { class: 'header' }, el('div', { class: 'titles' }, this._title, this._agency), this._close);

    this._disclosure = el('p', { class: 'disclosure', id: id('disclosure') });
    this._disclosure.hidden = true;
    this._log = el('div', {
      class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
      'aria-label': s.conversation, tabindex: '0',
    });

    this._input = el('input', {
      class: 'input', id: id('input'), type: 'text', role: 'combobox', autocomplete: 'off',
      enterkeyhint: 'send', maxlength: '1000', placeholder: s.placeholder,
      'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': id('suggest'),
    });
    this._inputLabel = el('label', { class: 'sr-only', for: id('input'), text: s.inputLabel });
    this._suggest = el('ul', { class: 'suggest', id: id('suggest'), role: 'listbox', 'aria-label': s.suggestions });
    this._suggest.hidden = true;
    this._send = el('button', { class: 'send', type: 'submit', text: s.send });
    this._form = el('form', { class: 'composer', novalidate: true }, this._inputLabel, this._input, this._suggest, this._send);

    this._dialog = el('div', {
      class: 'dialog', id: id('dialog'), role: 'dialog', 'aria-modal': 'true', lang: 'it',
      'aria-labelledby': id('title'), 'aria-describedby': id('disclosure'), part: 'dialog',
    }, header, this._log, this._form);
    this._log.append(this._disclosure);
    this._dialog.hidden = true;

    if (style) root.append(style);
    root.append(this._launcher, this._dialog);

    this._form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (this._active >= 0 && this._suggestions[this._active]) {
        this._pickSuggestion(this._active);
        return;
      }
      const q = this._input.value.trim();
      if (!q) {
        this._input.focus();
        return;
      }
      this._input.value = '';
      this._hideSuggestions();
      this.ask(q);
    });
    this._input.addEventListener('input', () => this._updateSuggestions());
    this._input.addEventListener('blur', () => setTimeout(() => {
      if (this.shadowRoot.activeElement !== this._input) this._hideSuggestions();
    }, 150));
    this._input.addEventListener('keydown', (e) => this._onInputKey(e));
    this._dialog.addEventListener('keydown', (e) => this._onDialogKey(e));
    this._built = true;
    // A load that finished before the interface was built (load() called by the page).
    if (this._info) this._showInfo();
  }

  _applyStrings() {
    const s = this._strings;
    this._launcherText.textContent = s.launcher;
    this._title.textContent = s.title;
    this._close.setAttribute('aria-label', s.close);
    this._log.setAttribute('aria-label', s.conversation);
    this._inputLabel.textContent = s.inputLabel;
    this._input.placeholder = s.placeholder;
    this._send.textContent = s.send;
    this._suggest.setAttribute('aria-label', s.suggestions);
  }

  _bundleUrl() {
    const src = this.getAttribute('src') || 'bundle/';
    const base = new URL(src, document.baseURI);
    if (/\.json$/i.test(base.pathname)) return base.href;
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    return new URL('bundle.json', base).href;
  }

  /** Loads the engine and the knowledge base (once); resolves when ready. */
  load() {
    if (this._loading) return this._loading;
    const t0 = performance.now();
    const bundleUrl = this._bundleUrl();
    const bundle = fetch(bundleUrl, { credentials: 'same-origin' }).then((r) => {
      if (!r.ok) throw new Error(`base di conoscenza non trovata (${bundleUrl}: HTTP ${r.status})`);
      return r.text();
    });
    // The engine's prebuilt tables, beside bundle.json (bundle format 2), fetched at the same
    // time. A bundle of format 1 has them inside and no such file: the engine is then given
    // none, and says what is missing if the bundle needed it.
    const dataUrl = new URL(bundleUrl);
    dataUrl.pathname = dataUrl.pathname.replace(/\.json$/i, '.bin');
    const data = fetch(dataUrl, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.arrayBuffer() : null))
      .then((b) => (b ? new Uint8Array(b) : undefined), () => undefined);
    // The wasm is fetched and compiled while its JS glue is still being fetched (one round
    // trip less than letting the glue fetch it).
    const compiled = compileWasm(new URL('./sportello_wasm_bg.wasm', import.meta.url));
    const glue = import(new URL('./sportello_wasm.js', import.meta.url).href);
    const engine = Promise.all([glue, compiled]).then(async ([mod, module]) => {
      await mod.default({ module_or_path: module });
      return mod;
    });
    let tBundle = 0;
    let tEngine = 0;
    const files = Promise.all([bundle, data]);
    files.then(() => (tBundle = performance.now()), () => {});
    engine.then(() => (tEngine = performance.now()), () => {});
    const gate = this._indexGate();
    this._loading = Promise.all([files, engine, gate])
      .then(([[text, bytes], mod]) => {
        const tIndex = performance.now();
        let assistant;
        try {
          assistant = new mod.Assistant(text, bytes);
        } catch (e) {
          throw new Error(e && e.message ? e.message : String(e));
        }
        this._assistant = assistant;
        this._mod = mod;
        this._info = JSON.parse(assistant.info());
        const tReady = performance.now();
        this.timings = {
          start: t0, bundle: tBundle - t0, engine: tEngine - t0, index: tReady - tIndex, ready: tReady,
          prebuilt: Boolean(this._info.prebuilt),
        };
        this.ready = true;
        this.setAttribute('ready', '');
        this._showInfo();
        performance.mark?.('sportello-ready');
        // The typo-correction table is built on first use; build it when the page is idle.
        idle(() => this._assistant === assistant && assistant.warmUp?.());
        this.dispatchEvent(new CustomEvent('sportello-ready', {
          detail: { timings: this.timings, agency: this._info.name, entries: this._info.entries },
          bubbles: true, composed: true,
        }));
        return assistant;
      })
      .catch(async (err) => {
        // Contacts from the bundle if it could at least be read.
        let contacts = null;
        try {
          contacts = JSON.parse(await bundle).agency?.contacts || null;
        } catch (_) { /* nothing */ }
        this._loadError = { err, contacts };
        this._showLoadError();
        this.dispatchEvent(new CustomEvent('sportello-error', {
          detail: { message: String(err && err.message ? err.message : err) }, bubbles: true, composed: true,
        }));
        console.error('sportello-chat:', err);
        throw err;
      });
    this._loading.catch(() => {});
    return this._loading;
  }

  _showInfo() {
    if (!this._built) return;
    const name = this._info?.name || '';
    this._agency.textContent = name;
    if (this._info?.ai_disclosure) {
      this._disclosure.textContent = this._info.ai_disclosure;
      this._disclosure.hidden = false;
    }
    if (this._loadingMsg) {
      this._loadingMsg.remove();
      this._loadingMsg = null;
    }
    if (this.isOpen) this._welcome();
  }

  _showLoadError() {
    if (!this._built || !this.isOpen || this._errorShown) return;
    this._errorShown = true;
    if (this._loadingMsg) {
      this._loadingMsg.remove();
      this._loadingMsg = null;
    }
    const { err, contacts } = this._loadError;
    const msg = this._botMessage('error');
    msg.append(el('p', { text: this._strings.loadError }), el('p', { class: 'meta', text: `Dettaglio: ${err && err.message ? err.message : err}` }));
    if (contacts) msg.append(this._contactsCard(contacts));
    this._addMessage(msg);
  }

  _welcome() {
    if (this._welcomed) return;
    this._welcomed = true;
    const agency = this._info?.name || this._strings.agencyFallback;
    const msg = this._botMessage();
    msg.append(el('p', { text: fill(this._strings.welcome, { agency }) }));
    this._addMessage(msg);
  }

  /** Opens the dialog, moves focus to the question field and starts loading if needed. */
  open() {
    if (!this._built) return;
    if (!this.isOpen) {
      this.setAttribute('open', '');
      this._dialog.hidden = false;
      this._launcher.hidden = true;
      this._launcher.setAttribute('aria-expanded', 'true');
      if (this.ready) this._welcome();
      else if (this._loadError) this._showLoadError();
      else if (!this._loadingMsg) {
        this._loadingMsg = this._botMessage('loading');
        this._loadingMsg.append(el('p', { text: this._strings.loading }));
        this._addMessage(this._loadingMsg);
      }
      this.load();
      this._urgent();
      this.dispatchEvent(new CustomEvent('sportello-open', { bubbles: true, composed: true }));
    }
    this._input.focus();
  }

  /** Closes the dialog and gives focus back to the launcher. */
  close() {
    if (!this._built || !this.isOpen) return;
    this._hideSuggestions();
    this.removeAttribute('open');
    this._dialog.hidden = true;
    this._launcher.hidden = false;
    this._launcher.setAttribute('aria-expanded', 'false');
    this._launcher.focus();
    this.dispatchEvent(new CustomEvent('sportello-close', { bubbles: true, composed: true }));
  }

  toggle() {
    if (this.isOpen) this.close();
    else this.open();
  }

  /**
   * Asks a question as if the citizen had typed it: shows it, shows the reply, and resolves
   * with the reply object.
   */
  async ask(question) {
    const q = String(question).slice(0, 1000);
    this._addMessage(this._userMessage(q));
    const reply = await this._reply(q, (a) => JSON.parse(a.askAt ? a.askAt(q, Date.now()) : a.ask(q)));
    if (reply && (reply.kind === 'decline' || reply.kind === 'clarify') && reply.reason !== 'empty') {
      const ids = (reply.kind === 'clarify' ? reply.options : reply.candidates) || [];
      this._report({
        event: reply.kind === 'decline' ? 'unanswered' : 'clarified',
        question: q,
        entry_ids: ids.map((c) => c.id).slice(0, 5),
      });
    }
    return reply;
  }

  /**
   * Posts a report to `report-url`, if set: the question redacted here first (same rules as
   * the server), no cookies, no referrer. Failures are ignored: the citizen's reply is shown.
   */
  _report(body) {
    const url = this.getAttribute('report-url');
    const redact = this._mod && this._mod.redact;
    if (!url || typeof redact !== 'function') return;
    const payload = { ...body, channel: 'widget' };
    if (typeof payload.question === 'string') payload.question = redact(payload.question);
    try {
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        mode: 'cors',
        keepalive: true,
      }).catch(() => {});
    } catch (_) {
      // An invalid URL: nothing is sent.
    }
  }

  /** Shows the answer of one entry (after a "Forse cercavi…" choice or a related question). */
  async answerEntry(id, label) {
    if (label) this._addMessage(this._userMessage(label));
    return this._reply(label || id, (a) => {
      const json = a.answerEntryAt ? a.answerEntryAt(id, Date.now()) : a.answerEntry(id);
      return json === undefined ? null : JSON.parse(json);
    });
  }

  async _reply(query, run) {
    let assistant;
    try {
      const loading = this.load();
      this._urgent();
      assistant = await loading;
    } catch (_) {
      this._showLoadError();
      return null;
    }
    const t = performance.now();
    const reply = run(assistant);
    const ms = performance.now() - t;
    if (!reply) return null;
    this._renderReply(reply, query);
    this.dispatchEvent(new CustomEvent('sportello-reply', {
      detail: { kind: reply.kind, id: reply.id || null, ms, at: performance.now() },
      bubbles: true, composed: true,
    }));
    return reply;
  }

  // --- rendering ---

  _botMessage(extra = '') {
    const m = el('div', { class: `msg bot ${extra}`.trim() });
    m.append(el('span', { class: 'sr-only', text: this._strings.bot + ' ' }));
    return m;
  }

  _userMessage(text) {
    const m = el('div', { class: 'msg user' });
    m.append(el('span', { class: 'sr-only', text: this._strings.you + ' ' }));
    m.append(document.createTextNode(text)); // never HTML
    return m;
  }

  _addMessage(node) {
    this._log.append(node);
    // Show the start of the new message (long answers are read from the top).
    const top = node.offsetTop - this._log.offsetTop - 8;
    if (node.classList.contains('bot') && node.offsetHeight > this._log.clientHeight) {
      this._log.scrollTop = top;
    } else {
      this._log.scrollTop = this._log.scrollHeight;
    }
  }

  _renderReply(reply, query) {
    const s = this._strings;
    let msg;
    switch (reply.kind) {
      case 'answer': {
        msg = this._botMessage('answer');
        msg.dataset.id = reply.id;
        msg.append(el('p', { class: 'q', text: reply.question }));
        const body = el('div', { class: 'body' });
        body.append(sanitizeHtml(reply.answer_html, s));
        msg.append(body);
        const updated = /^\d{4}-\d{2}-\d{2}$/.test(reply.reviewed || '')
          ? new Date(`${reply.reviewed}T12:00:00Z`) : null;
        if (updated && !Number.isNaN(updated.getTime())) {
          const day = new Intl.DateTimeFormat('it-IT', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
            .format(updated);
          msg.append(el('p', { class: 'meta updated', text: `${s.updated} ${day}` }));
        }
        if (reply.source && isSafeUrl(reply.source) && /^https?:/i.test(reply.source.trim())) {
          msg.append(el('p', { class: 'meta' },
            el('a', { href: reply.source, target: '_blank', rel: 'noopener noreferrer', text: s.source },
              el('span', { class: 'sr-only', text: ' ' + s.newTab }))));
        }
        if (Array.isArray(reply.related) && reply.related.length) {
          msg.append(el('p', { class: 'meta', text: s.related }));
          msg.append(this._choices(reply.related.map(([id, question]) => ({ id, question }))));
        }
        msg.append(this._feedback(reply, query));
        break;
      }
      case 'clarify': {
        msg = this._botMessage('clarify');
        msg.append(el('p', { text: reply.message }));
        msg.append(this._choices(reply.options || []));
        break;
      }
      case 'decline': {
        msg = this._botMessage('decline');
        msg.append(el('p', { text: reply.message }));
        if (reply.contacts) msg.append(this._contactsCard(reply.contacts));
        break;
      }
      default: {
        msg = this._botMessage('small-talk');
        msg.append(el('p', { text: reply.message || '' }));
        if (reply.contacts) msg.append(this._contactsCard(reply.contacts));
      }
    }
    this._addNotices(msg, reply.notices);
    this._addMessage(msg);
    return msg;
  }

  /** The reply's valid notices, above its text (after the screen-reader label). */
  _addNotices(msg, notices) {
    if (!Array.isArray(notices) || !notices.length) return;
    const s = this._strings;
    const box = document.createDocumentFragment();
    for (const n of notices) {
      const urgent = n.priority === 'high';
      const label = urgent ? s.noticeUrgent : s.notice;
      const note = el('div', { class: urgent ? 'notice high' : 'notice', role: 'note', 'aria-label': label });
      note.dataset.id = n.id;
      note.append(el('p', { class: 'notice-title' }, el('span', { class: 'tag', text: label }), String(n.title || '')));
      note.append(sanitizeHtml(n.html || '', s));
      box.append(note);
    }
    msg.insertBefore(box, msg.firstChild ? msg.firstChild.nextSibling : null);
  }

  _choices(options) {
    const list = el('ul', { class: 'choices' });
    for (const o of options) {
      list.append(el('li', {}, el('button', {
        class: 'choice', type: 'button', text: o.question, 'data-id': o.id,
        onclick: () => {
          this.answerEntry(o.id, o.question).then(() => this._input.focus());
        },
      })));
    }
    return list;
  }

  _feedback(reply, query) {
    const s = this._strings;
    const box = el('div', { class: 'feedback', role: 'group', 'aria-label': s.feedbackQuestion });
    const thanks = el('span', { class: 'thanks' });
    const make = (helpful, emoji, label) => el('button', {
      class: 'fb', type: 'button', 'aria-pressed': 'false', 'aria-label': label, title: label,
      'data-helpful': String(helpful), text: emoji,
      onclick: (e) => {
        const btn = e.currentTarget;
        if (btn.getAttribute('aria-pressed') === 'true') return;
        for (const b of box.querySelectorAll('.fb')) b.setAttribute('aria-pressed', String(b === btn));
        thanks.textContent = s.feedbackThanks;
        this.dispatchEvent(new CustomEvent('sportello-feedback', {
          detail: { id: reply.id, question: reply.question, helpful },
          bubbles: true, composed: true,
        }));
        this._report({ entry_id: reply.id, helpful, question: query });
      },
    });
    box.append(el('span', { 'aria-hidden': 'true', text: s.feedbackQuestion }),
      make(true, '👍', s.feedbackYes), make(false, '👎', s.feedbackNo), thanks);
    return box;
  }

  _contactsCard(c) {
    const s = this._strings;
    const card = el('div', { class: 'contacts' });
    card.append(el('p', { class: 'office', text: c.office || s.contactsTitle }));
    const dl = el('dl');
    const row = (label, value) => dl.append(el('dt', { text: label }), el('dd', {}, value));
    if (c.phone) {
      const tel = String(c.phone).replace(/[^\d+]/g, '');
      row(s.phone, tel ? el('a', { href: `tel:${tel}`, text: c.phone }) : c.phone);
    }
    if (c.email) row(s.email, el('a', { href: `mailto:${String(c.email).trim()}`, text: c.email }));
    if (c.hours) row(s.hours, c.hours);
    if (c.address) row(s.address, c.address);
    if (c.url && /^https?:/i.test(String(c.url).trim())) {
      row(s.url, el('a', { href: c.url, target: '_blank', rel: 'noopener noreferrer', text: c.url },
        el('span', { class: 'sr-only', text: ' ' + s.newTab })));
    }
    if (dl.childElementCount) card.append(dl);
    return card;
  }

  // --- suggestions while typing (combobox with a listbox) ---

  _updateSuggestions() {
    clearTimeout(this._suggestTimer);
    this._suggestTimer = setTimeout(() => {
      const text = this._input.value.trim();
      if (!this._assistant || text.length < 3) {
        this._hideSuggestions();
        return;
      }
      let list = [];
      try {
        list = JSON.parse(this._assistant.suggest(text, 5)) || [];
      } catch (_) { list = []; }
      this._suggestions = list;
      this._active = -1;
      this._input.removeAttribute('aria-activedescendant');
      this._suggest.replaceChildren(...list.map((sg, i) => el('li', {
        role: 'option', id: `${this._suggest.id}-${i}`, 'aria-selected': 'false', text: sg.question,
        onmousedown: (e) => e.preventDefault(),
        onclick: () => this._pickSuggestion(i),
      })));
      const show = list.length > 0;
      this._suggest.hidden = !show;
      this._input.setAttribute('aria-expanded', String(show));
    }, 60);
  }

  _hideSuggestions() {
    clearTimeout(this._suggestTimer);
    this._suggestions = [];
    this._active = -1;
    if (!this._built) return;
    this._suggest.hidden = true;
    this._suggest.replaceChildren();
    this._input.setAttribute('aria-expanded', 'false');
    this._input.removeAttribute('aria-activedescendant');
  }

  _setActive(i) {
    const items = [...this._suggest.children];
    if (!items.length) return;
    this._active = (i + items.length) % items.length;
    items.forEach((li, k) => li.setAttribute('aria-selected', String(k === this._active)));
    const cur = items[this._active];
    this._input.setAttribute('aria-activedescendant', cur.id);
    cur.scrollIntoView?.({ block: 'nearest' });
  }

  _pickSuggestion(i) {
    const sg = this._suggestions[i];
    this._input.value = '';
    this._hideSuggestions();
    if (sg) this.answerEntry(sg.id, sg.question);
  }

  _onInputKey(e) {
    const open = !this._suggest.hidden;
    if (e.key === 'ArrowDown' && open) {
      e.preventDefault();
      this._setActive(this._active + 1);
    } else if (e.key === 'ArrowUp' && open) {
      e.preventDefault();
      this._setActive(this._active < 0 ? -1 : this._active - 1);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      this._hideSuggestions();
    }
  }

  _onDialogKey(e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.close();
      return;
    }
    if (e.key !== 'Tab') return;
    // Keep focus inside the (modal) dialog.
    const focusables = [...this._dialog.querySelectorAll('button, [href], input, [tabindex="0"]')]
      .filter((n) => !n.disabled && n.getClientRects().length > 0);
    if (!focusables.length) return;
    const first = focusables[0];
    const last = focusables[focusables.length - 1];
    const active = this.shadowRoot.activeElement;
    if (e.shiftKey && active === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  }
}

if (!customElements.get('sportello-chat')) customElements.define('sportello-chat', SportelloChat);

// The npm package's descriptions (package/sportello.d.ts, package/custom-elements.json) against
// the element's source: every event it dispatches, every attribute it reads and every
// interface string must be declared, and nothing declared that the element does not have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const source = readFileSync(`${here}src/sportello.js`, 'utf8');
const dts = readFileSync(`${here}package/sportello.d.ts`, 'utf8');
const manifest = JSON.parse(readFileSync(`${here}package/custom-elements.json`, 'utf8'));
const pkg = JSON.parse(readFileSync(`${here}package/package.json`, 'utf8'));
const element = manifest.modules[0].declarations.find((d) => d.customElement);

const sorted = (xs) => [...new Set(xs)].sort();
const all = (re, text) => [...text.matchAll(re)].map((m) => m[1]);

test('events dispatched by the element are the declared ones', () => {
  const dispatched = sorted(all(/new CustomEvent\('([a-z-]+)'/g, source));
  assert.ok(dispatched.length >= 6, `found ${dispatched}`);
  assert.deepEqual(sorted(element.events.map((e) => e.name)), dispatched);
  const typed = sorted(all(/^\s+'(sportello-[a-z-]+)': CustomEvent/gm, dts));
  assert.deepEqual(typed, dispatched);
});

test('attributes read or set by the element are the declared ones', () => {
  const used = sorted([
    ...all(/(?:get|has|set|remove)Attribute\('([a-z-]+)'/g, source.slice(source.indexOf('class SportelloChat'))),
    ...all(/:host\(\[([a-z-]+)=/g, source),
  ]).filter((a) => !a.startsWith('aria-') && !['href', 'id', 'role', 'tabindex'].includes(a));
  assert.deepEqual(sorted(element.attributes.map((a) => a.name)), used);
});

test('interface strings are typed', () => {
  const block = source.slice(source.indexOf('DEFAULT_STRINGS = Object.freeze({'), source.indexOf('});'));
  const keys = sorted(all(/^\s+(\w+):/gm, block));
  const iface = dts.slice(dts.indexOf('interface SportelloStrings'), dts.indexOf('interface SportelloTimings'));
  assert.deepEqual(sorted(all(/^\s+(\w+): string;/gm, iface)), keys);
});

test('public methods are declared', () => {
  const methods = element.members.filter((m) => m.kind === 'method').map((m) => m.name);
  for (const m of methods) {
    assert.match(source, new RegExp(`^  (?:async )?${m}\\(`, 'm'), `${m} missing from sportello.js`);
    assert.match(dts, new RegExp(`^  ${m}\\(`, 'm'), `${m} missing from sportello.d.ts`);
  }
});

test('package.json points at files it ships', () => {
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.types, './sportello.d.ts');
  assert.equal(pkg.customElements, 'custom-elements.json');
  const targets = JSON.stringify(pkg.exports).match(/\.\/[\w.-]+/g);
  for (const t of targets.filter((t) => t !== './package.json')) assert.ok(pkg.files.includes(t.slice(2)), `${t} exported but not in files`);
});

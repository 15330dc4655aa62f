// No module of the web shop imports, directly or through others, a module that imports it:
// app.js draws the pages, the pages share shell.js, and nothing points back at app.js.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const assets = join(dirname(fileURLToPath(import.meta.url)), '../../resources/storefront/assets');

function importsOf(file) {
  const text = readFileSync(join(assets, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'\.\/([^']+)'/gms)].map((m) => m[1]);
}

test('the modules import each other without a cycle', () => {
  const modules = readdirSync(assets).filter((f) => f.endsWith('.js'));
  assert.ok(modules.includes('app.js') && modules.length > 3, `modules found: ${modules}`);
  const graph = new Map(modules.map((m) => [m, importsOf(m)]));
  const state = new Map(); // 1: on the path, 2: done
  const cycles = [];
  const visit = (m, path) => {
    if (state.get(m) === 2) return;
    if (state.get(m) === 1) { cycles.push([...path.slice(path.indexOf(m)), m].join(' → ')); return; }
    state.set(m, 1);
    for (const next of graph.get(m) || []) visit(next, [...path, m]);
    state.set(m, 2);
  };
  for (const m of modules) visit(m, []);
  assert.deepEqual(cycles, []);
});

test('the check sees a cycle when there is one', () => {
  // app.js imports the pages; a page importing app.js back would close a loop.
  assert.ok(importsOf('app.js').includes('catalog.js'));
  for (const page of ['catalog.js', 'account.js', 'orders.js'])
    assert.ok(!importsOf(page).includes('app.js'), `${page} imports app.js`);
});

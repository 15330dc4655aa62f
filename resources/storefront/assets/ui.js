// DOM helpers: elements are built node by node; text from users only ever goes in as text.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'for') el.htmlFor = value;
    else if (key === 'value') el.value = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function mount(...children) {
  const main = document.getElementById('main');
  main.replaceChildren();
  append(main, children);
  return main;
}

export function setTitle(text, storeName) {
  document.title = text ? `${text} · ${storeName}` : storeName;
}

let formatter = null;
export function setCurrency(currency) {
  formatter = new Intl.NumberFormat(undefined, { style: 'currency', currency });
}

export function money(cents, currency) {
  const f = currency && formatter && formatter.resolvedOptions().currency !== currency
    ? new Intl.NumberFormat(undefined, { style: 'currency', currency })
    : formatter || new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'USD' });
  const digits = f.resolvedOptions().maximumFractionDigits;
  return f.format(cents / 10 ** digits);
}

export function when(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function flash(message, kind = 'info') {
  const box = document.getElementById('flash');
  box.replaceChildren(h('p', { class: `flash ${kind}` }, message));
  if (kind !== 'error') setTimeout(() => { if (box.textContent === message) box.replaceChildren(); }, 6000);
}

export function clearFlash() {
  document.getElementById('flash').replaceChildren();
}

// A labelled input: <label for=id>text</label><input id=id ...>
let fieldCount = 0;
export function field(labelText, attrs = {}) {
  const id = attrs.id || `f${++fieldCount}`;
  const control = attrs.tag === 'textarea' ? h('textarea', { ...attrs, tag: null, id })
    : attrs.tag === 'select' ? h('select', { ...attrs, tag: null, options: null, id },
        (attrs.options || []).map(([v, t]) => h('option', { value: v, selected: v === attrs.value }, t)))
    : h('input', { type: 'text', ...attrs, id });
  return h('div', { class: 'field' }, h('label', { for: id }, labelText), control,
    h('span', { class: 'field-error', id: `${id}-error`, 'data-for': attrs.name || '' }));
}

// Shows an API problem on a form: field errors next to their inputs, the rest in a banner.
export function showProblem(form, problem) {
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const rest = [];
  for (const err of problem.errors || []) {
    const slot = form.querySelector(`.field-error[data-for="${CSS.escape(err.field)}"]`);
    if (slot) {
      slot.textContent = err.message;
      const input = form.querySelector(`[name="${CSS.escape(err.field)}"]`);
      if (input) input.setAttribute('aria-invalid', 'true');
    } else rest.push(`${err.field}: ${err.message}`);
  }
  let banner = form.querySelector('.form-error');
  if (!banner) {
    banner = h('p', { class: 'form-error', role: 'alert' });
    form.prepend(banner);
  }
  banner.textContent = [problem.detail || problem.title || 'Something went wrong', ...rest].join(' — ');
}

export function stars(average) {
  if (average === null || average === undefined) return 'No ratings yet';
  const full = Math.round(average);
  return `${'★'.repeat(full)}${'☆'.repeat(5 - full)} ${average.toFixed(1)}`;
}

export function statusLabel(status) {
  return String(status || '').replace(/_/g, ' ');
}

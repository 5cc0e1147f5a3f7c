// Small DOM helpers. Everything the API returns reaches the page as text
// (textContent, attribute values): never as HTML.

// h('p', {class: 'x', onclick: fn}, 'text', child, ...): an element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces the children of `el`.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// "2026-12-02T17:30:05.123Z" -> "2026-12-02 17:30:05 UTC": operators compare
// these with log lines, which are in UTC.
export function utc(iso) {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

// Hex as colon-separated byte pairs, the way openssl prints fingerprints.
export function colonHex(hex) {
  return (hex ?? '').toUpperCase().match(/.{1,2}/g)?.join(':') ?? '';
}

// A message area: error (role=alert) or plain notice.
export function message(kind, text) {
  return h('p', {class: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status'}, text);
}

export function adminRequired(what) {
  return h('div', {class: 'banner locked', role: 'status'},
    h('strong', {}, 'Admin access required'),
    ` — ${what} needs an admin API key (CERTCTL_API_KEYS_NAMED name:key:admin). ` +
    'Sign out and sign in with one.');
}

// Runs `work` with `button` showing progress; the button is disabled
// meanwhile so a slow call cannot be started twice.
export async function busy(button, label, work) {
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = original;
  }
}

// "Loading ..." placeholder with a spinner.
export function loading(text = 'Loading…') {
  return h('p', {class: 'loading', role: 'status'}, h('span', {class: 'spinner', 'aria-hidden': 'true'}), text);
}

// Newer / Older pagination over the API's next_cursor. `load(cursor)`
// fetches a page and returns its next_cursor (null on the last page).
export class Pager {
  constructor(load) {
    this.load = load;
    this.stack = [];      // cursors of the pages before the current one
    this.cursor = null;   // the current page's cursor (null: first page)
    this.next = null;
    this.el = h('div', {class: 'pager'});
  }
  get page() { return this.stack.length + 1; }
  async first() {
    this.stack = [];
    this.cursor = null;
    return this.show();
  }
  async reload() { return this.show(); }
  async show() {
    this.next = await this.load(this.cursor);
    this.render();
  }
  render() {
    const newer = h('button', {type: 'button', class: 'secondary', disabled: this.stack.length === 0,
      onclick: async () => { this.cursor = this.stack.pop(); await this.show(); }}, '← Newer');
    const older = h('button', {type: 'button', class: 'secondary', disabled: !this.next,
      onclick: async () => { this.stack.push(this.cursor); this.cursor = this.next; await this.show(); }}, 'Older →');
    fill(this.el, newer, h('span', {class: 'page'}, `Page ${this.page}`), older);
  }
}

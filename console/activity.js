// Recent Activity tab: the audit trail of EST outcomes, with the guide's chip
// filters, refreshed every 60 s and on demand.
import {api, query} from './api.js';
import {h, fill, utc, message, adminRequired, loading, busy, Pager} from './dom.js';

const REFRESH_EVERY_MS = 60_000;
const PAGE_SIZE = 25;

// The guide's chips and the audit-action prefixes behind them; "All" is the
// four at once (one query: the API takes a comma-separated list).
export const CHIPS = [
  {id: 'all', label: 'All', prefix: 'est_simple_enroll,est_simple_reenroll,est_server_keygen,est_auth_failed'},
  {id: 'enroll', label: 'Enrollment', prefix: 'est_simple_enroll'},
  {id: 'reenroll', label: 'Re-enrollment', prefix: 'est_simple_reenroll'},
  {id: 'keygen', label: 'ServerKeygen', prefix: 'est_server_keygen'},
  {id: 'authfail', label: 'AuthFailure', prefix: 'est_auth_failed'},
];

function outcome(event) {
  const ok = event.action.endsWith('_success');
  const label = ok ? 'success' : 'failed';
  return h('span', {class: `outcome ${ok ? 'reloaded' : 'kept'}`}, event.status ? `${label} (${event.status})` : label);
}

export class ActivityTab {
  constructor(panel, session) {
    this.panel = panel;
    this.session = session;
    this.chip = CHIPS[0];
    this.timer = null;
    if (!session.admin) {
      fill(panel, h('h2', {}, 'Recent Activity'), adminRequired('The audit trail (GET /api/v1/audit)'));
      return;
    }
    this.updated = h('span', {class: 'muted'});
    this.error = h('div');
    this.table = h('div', {class: 'table-wrap'});
    this.pager = new Pager((cursor) => this.fetch(cursor));
    const refresh = h('button', {type: 'button', class: 'secondary', id: 'activity-refresh'}, 'Refresh');
    refresh.addEventListener('click', () => busy(refresh, 'Refreshing…', () => this.pager.reload()));
    this.chips = h('div', {class: 'chips', role: 'group', 'aria-label': 'Filter by outcome'},
      CHIPS.map((chip) => {
        const button = h('button', {type: 'button', class: 'chip', 'data-chip': chip.id, 'aria-pressed': String(chip === this.chip)}, chip.label);
        button.addEventListener('click', () => this.select(chip));
        return button;
      }));
    fill(panel,
      h('div', {class: 'toolbar'}, h('h2', {}, 'Recent Activity'), refresh, this.updated),
      this.chips, this.error, this.table, this.pager.el);
  }

  select(chip) {
    this.chip = chip;
    for (const button of this.chips.children) {
      button.setAttribute('aria-pressed', String(button.dataset.chip === chip.id));
    }
    fill(this.table, loading());
    this.pager.first();
  }

  show() {
    if (!this.session.admin) return;
    fill(this.table, loading());
    this.pager.first();
    // Auto refresh the page shown; on an older page the rows would shift
    // under the reader, so only the newest page follows new events.
    this.timer = setInterval(() => {
      if (!document.hidden && this.pager.page === 1) this.pager.reload();
    }, REFRESH_EVERY_MS);
  }

  hide() { this.stop(); }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async fetch(cursor) {
    try {
      const {data} = await api(`/api/v1/audit${query({action_prefix: this.chip.prefix, limit: PAGE_SIZE, cursor})}`);
      fill(this.error);
      this.render(data.events);
      fill(this.updated, `Updated ${new Date().toLocaleTimeString()} · refreshes every 60 s`);
      return data.next_cursor;
    } catch (e) {
      fill(this.error, message('error', e.message));
      fill(this.table);
      return null;
    }
  }

  render(events) {
    if (events.length === 0) {
      fill(this.table, message('notice', `No ${this.chip.id === 'all' ? 'EST' : this.chip.label} events recorded yet.`));
      return;
    }
    const head = h('tr', {}, ['Time', 'Action', 'Profile', 'Source IP', 'Subject', 'Serial', 'Outcome', 'Detail']
      .map((name) => h('th', {scope: 'col'}, name)));
    const rows = events.map((e) => h('tr', {'data-action': e.action},
      h('td', {class: 'nowrap'}, utc(e.time)),
      h('td', {}, h('code', {}, e.action)),
      h('td', {}, e.profile ?? ''),
      h('td', {class: 'nowrap'}, e.source_ip ?? ''),
      h('td', {class: 'subject'}, e.subject ?? ''),
      h('td', {}, h('code', {class: 'serial'}, e.serial ?? '')),
      h('td', {}, outcome(e)),
      h('td', {class: 'detail'}, e.reason ?? '')));
    fill(this.table, h('table', {class: 'data', id: 'activity-table'}, h('thead', {}, head), h('tbody', {}, rows)));
  }
}

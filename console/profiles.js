// Profiles tab (the default): a card per EST profile with its auth modes,
// issuer, certificate profile, mTLS trust-anchor countdown and the live
// counter grid; the "Reload trust anchor" dialog.
import {api} from './api.js';
import {h, fill, utc, message, adminRequired, loading, busy} from './dom.js';
import {openDialog} from './dialog.js';

const REFRESH_EVERY_MS = 10_000;

// The guide's countdown colours, with the words beside them (never colour alone).
export function anchorBadge(anchor) {
  const text = anchor.status === 'expired' ? 'EXPIRED'
    : `${anchor.days_left} day${anchor.days_left === 1 ? '' : 's'} left`;
  return h('span', {class: `countdown ${anchor.status}`, title: `NotAfter ${utc(anchor.not_after)}`}, text);
}

function authBadges(profile) {
  const badges = [];
  if (profile.anonymous) badges.push(h('span', {class: 'badge warn'}, 'anonymous'));
  for (const mode of profile.auth_modes) badges.push(h('span', {class: `badge ${mode}`}, mode === 'mtls' ? 'mTLS' : 'Basic'));
  if (profile.channel_binding_required) badges.push(h('span', {class: 'badge'}, 'channel binding'));
  if (profile.serverkeygen_enabled) badges.push(h('span', {class: 'badge'}, 'serverkeygen'));
  return badges;
}

function counterGrid(counters) {
  const cells = Object.entries(counters).map(([code, value]) => {
    const kind = code.endsWith('_success') ? 'success' : 'failure';
    return h('div', {class: `counter ${kind}${value > 0 ? ' nonzero' : ''}`, 'data-code': code},
      h('span', {class: 'value'}, String(value)), h('span', {class: 'code'}, code));
  });
  return h('div', {class: 'counters', role: 'list', 'aria-label': 'Outcome counters'},
    cells.map((cell) => { cell.setAttribute('role', 'listitem'); return cell; }));
}

// The reload dialog: what it does, then per profile reloaded / unchanged /
// kept the old anchors and why. `done` runs after a reload.
export function reloadDialog(pathId, done) {
  const scope = pathId === null ? 'every profile with an mTLS trust bundle'
    : `profile ${pathId}`;
  const go = h('button', {type: 'button', class: 'primary'}, 'Reload now');
  const cancel = h('button', {type: 'button', class: 'secondary', onclick: () => document.getElementById('dialog').close()}, 'Cancel');
  const result = h('div', {class: 'reload-result', 'aria-live': 'polite'});
  go.addEventListener('click', () => busy(go, 'Reloading…', async () => {
    fill(result, loading('Reading the trust bundle files…'));
    try {
      const {status, data} = await api('/api/v1/admin/est/reload-trust', {method: 'POST', body: pathId === null ? {} : {path_id: pathId}});
      const rows = data.results.map((r) => h('tr', {},
        h('th', {scope: 'row'}, r.path_id),
        h('td', {}, h('span', {class: `outcome ${!r.ok ? 'kept' : r.changed ? 'reloaded' : 'unchanged'}`},
          !r.ok ? 'kept old anchors' : r.changed ? 'reloaded' : 'unchanged')),
        h('td', {}, !r.ok ? r.error : r.changed ? 'new anchors in force' : 'the bundle holds the same certificates')));
      fill(result,
        status === 207 ? message('error', 'At least one profile kept its old anchors: its new bundle could not be used.') : message('ok', 'Reload finished.'),
        h('table', {class: 'data'}, h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Profile'), h('th', {scope: 'col'}, 'Outcome'), h('th', {scope: 'col'}, 'Reason'))), h('tbody', {}, rows)));
      done?.();
    } catch (e) {
      fill(result, message('error', e.message));
    }
  }));
  openDialog(pathId === null ? 'Reload trust anchors' : `Reload trust anchor: ${pathId}`, [
    h('p', {}, `Re-reads the mTLS trust bundle file of ${scope} (as SIGHUP does). A bundle that cannot be loaded keeps the old anchors in force.`),
    h('div', {class: 'actions'}, go, cancel),
    result,
  ]);
}

export class ProfilesTab {
  constructor(panel, session) {
    this.panel = panel;
    this.session = session;
    this.timer = null;
    this.updated = h('span', {class: 'muted'});
    this.body = h('div', {class: 'cards'});
    this.error = h('div');
    const refresh = h('button', {type: 'button', class: 'secondary', id: 'profiles-refresh'}, 'Refresh');
    refresh.addEventListener('click', () => busy(refresh, 'Refreshing…', () => this.load()));
    this.reloadAll = h('button', {type: 'button', class: 'secondary', id: 'reload-all'}, 'Reload all trust anchors');
    this.reloadAll.addEventListener('click', () => reloadDialog(null, () => this.load()));
    fill(panel,
      h('div', {class: 'toolbar'}, h('h2', {}, 'Profiles'), refresh, this.reloadAll, this.updated),
      this.error, this.body);
    if (!session.admin) {
      fill(panel, h('h2', {}, 'Profiles'), adminRequired('The profiles page (GET /api/v1/admin/est/profiles)'));
    }
    this.profiles = [];
  }

  show() {
    if (!this.session.admin) return;
    if (this.profiles.length === 0) fill(this.body, loading());
    this.load();
    this.timer = setInterval(() => { if (!document.hidden) this.load(); }, REFRESH_EVERY_MS);
  }

  hide() { this.stop(); }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async load() {
    try {
      const {data} = await api('/api/v1/admin/est/profiles');
      this.profiles = data.profiles;
      fill(this.error);
      this.render();
      fill(this.updated, `Updated ${new Date().toLocaleTimeString()} · counters refresh every 10 s`);
    } catch (e) {
      fill(this.error, message('error', e.message));
    }
  }

  render() {
    this.reloadAll.hidden = !this.profiles.some((p) => p.mtls_enabled);
    if (this.profiles.length === 0) {
      fill(this.body, message('notice', 'No EST profile is configured.'));
      return;
    }
    fill(this.body, this.profiles.map((p) => this.card(p)));
  }

  card(p) {
    const facts = h('dl', {class: 'facts'},
      h('dt', {}, 'Routes'), h('dd', {}, p.routes.map((r) => h('code', {}, r)).reduce((acc, el) => acc.length ? [...acc, ' ', el] : [el], [])),
      h('dt', {}, 'Issuer'), h('dd', {}, p.issuer_id),
      h('dt', {}, 'Certificate profile'), h('dd', {}, p.profile_id || '(none: baseline)'),
      h('dt', {}, 'Per-principal limit'), h('dd', {}, p.rate_limit_per_principal_24h ? `${p.rate_limit_per_principal_24h} / 24 h` : 'off'));
    const parts = [
      h('div', {class: 'card-head'}, h('h3', {}, p.name), h('div', {class: 'badges'}, authBadges(p))),
      facts,
    ];
    if (p.mtls_enabled) {
      parts.push(h('h4', {}, 'mTLS trust anchors'));
      parts.push(p.trust_anchors.length === 0 ? message('error', 'No anchor in force.')
        : h('ul', {class: 'anchors'}, p.trust_anchors.map((a) => h('li', {}, anchorBadge(a), ' ', h('span', {class: 'subject'}, a.subject)))));
      const reload = h('button', {type: 'button', class: 'secondary', 'data-reload': p.path_id}, 'Reload trust anchor');
      reload.addEventListener('click', () => reloadDialog(p.path_id, () => this.load()));
      parts.push(h('div', {class: 'actions'}, reload));
    }
    parts.push(h('h4', {}, 'Outcomes since start'), counterGrid(p.counters));
    return h('article', {class: 'card', 'data-profile': p.path_id || '(root)'}, parts);
  }
}

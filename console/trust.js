// Trust Bundle tab: per mTLS profile, the anchors in force now (subject,
// SHA-256 fingerprint, validity). Used during a rotation: overwrite the
// bundle file, Reload, and check the new subjects here.
import {api} from './api.js';
import {h, fill, utc, colonHex, message, adminRequired, loading, busy} from './dom.js';
import {anchorBadge, reloadDialog} from './profiles.js';

export class TrustTab {
  constructor(panel, session) {
    this.panel = panel;
    this.session = session;
    if (!session.admin) {
      fill(panel, h('h2', {}, 'Trust Bundle'), adminRequired('The trust bundles (GET /api/v1/admin/est/profiles)'));
      return;
    }
    this.error = h('div');
    this.body = h('div');
    const refresh = h('button', {type: 'button', class: 'secondary', id: 'trust-refresh'}, 'Refresh');
    refresh.addEventListener('click', () => busy(refresh, 'Refreshing…', () => this.load()));
    fill(panel, h('div', {class: 'toolbar'}, h('h2', {}, 'Trust Bundle'), refresh), this.error, this.body);
  }

  show() {
    if (!this.session.admin) return;
    fill(this.body, loading());
    this.load();
  }

  async load() {
    try {
      const {data} = await api('/api/v1/admin/est/profiles');
      fill(this.error);
      this.render(data.profiles.filter((p) => p.mtls_enabled));
    } catch (e) {
      fill(this.error, message('error', e.message));
    }
  }

  render(profiles) {
    if (profiles.length === 0) {
      fill(this.body, message('notice', 'No profile uses mTLS: there is no trust bundle to show.'));
      return;
    }
    fill(this.body, profiles.map((p) => {
      const reload = h('button', {type: 'button', class: 'secondary', 'data-reload': p.path_id}, 'Reload trust anchor');
      reload.addEventListener('click', () => reloadDialog(p.path_id, () => this.load()));
      const rows = p.trust_anchors.map((a) => h('tr', {},
        h('td', {class: 'subject'}, a.subject),
        h('td', {}, h('code', {class: 'fingerprint'}, colonHex(a.fingerprint_sha256))),
        h('td', {class: 'nowrap'}, utc(a.not_before)),
        h('td', {class: 'nowrap'}, utc(a.not_after)),
        h('td', {}, anchorBadge(a))));
      return h('section', {class: 'bundle', 'data-profile': p.path_id},
        h('div', {class: 'toolbar'}, h('h3', {}, `${p.name} `, h('span', {class: 'muted'}, `(${p.trust_anchors.length} anchor${p.trust_anchors.length === 1 ? '' : 's'})`)), reload),
        rows.length === 0 ? message('error', 'No anchor in force.')
          : h('div', {class: 'table-wrap'}, h('table', {class: 'data'},
            h('thead', {}, h('tr', {}, ['Subject', 'SHA-256 fingerprint', 'Not before', 'Not after', 'Expiry'].map((n) => h('th', {scope: 'col'}, n)))),
            h('tbody', {}, rows))));
    }));
  }
}

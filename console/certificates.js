// Certificates tab: search the inventory, a certificate's detail, revoke one,
// bulk-revoke by criteria after a count of what it will revoke.
import {api, query} from './api.js';
import {h, fill, utc, colonHex, message, loading, busy, Pager} from './dom.js';
import {openDialog, closeDialog} from './dialog.js';

const PAGE_SIZE = 25;
const REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
  'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise'];

let fieldCount = 0;
// A labelled input; returns [wrapper, input].
function field(label, input, hint) {
  const id = input.id || `f${++fieldCount}`;
  input.id = id;
  const hintEl = hint ? h('span', {class: 'hint', id: `${id}-hint`}, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return [h('div', {class: 'field'}, h('label', {for: id}, label), input, hintEl), input];
}

function reasonSelect(attrs = {}) {
  return h('select', attrs, REASONS.map((r) => h('option', {value: r}, r)));
}

// "2026-12-02T17:30" (a datetime-local input, read as UTC) -> RFC 3339.
function utcInput(value) {
  return value ? `${value.length === 16 ? `${value}:00` : value}Z` : '';
}

function statusBadge(status) {
  return h('span', {class: `status ${status}`}, status);
}

export class CertificatesTab {
  constructor(panel, session) {
    this.panel = panel;
    this.session = session;
    this.filters = {status: 'active'};
    this.error = h('div');
    this.table = h('div', {class: 'table-wrap'});
    this.pager = new Pager((cursor) => this.fetch(cursor));
    this.loaded = false;
    fill(panel, h('div', {class: 'toolbar'}, h('h2', {}, 'Certificates')),
      this.searchForm(), this.error, this.table, this.pager.el,
      session.admin ? this.bulkForm() : message('notice', 'Revocation needs an admin API key: this key can search and read certificates only.'));
  }

  show() {
    if (!this.loaded) {
      this.loaded = true;
      fill(this.table, loading());
      this.pager.first();
    }
  }

  searchForm() {
    const [cn, cnInput] = field('Common name', h('input', {type: 'search', spellcheck: 'false', 'data-filter': 'common_name'}), 'exact');
    const [serial, serialInput] = field('Serial', h('input', {type: 'search', spellcheck: 'false', 'data-filter': 'serial'}), 'hex, colons allowed');
    const [estProfile, estInput] = field('EST profile', h('input', {type: 'search', spellcheck: 'false', 'data-filter': 'est_profile'}), 'PathID, e.g. iot');
    const [certProfile, certInput] = field('Certificate profile', h('input', {type: 'search', spellcheck: 'false', 'data-filter': 'profile_id'}));
    const [status, statusInput] = field('Status', h('select', {'data-filter': 'status'},
      h('option', {value: 'active'}, 'active'), h('option', {value: 'revoked'}, 'revoked'), h('option', {value: 'all'}, 'all (expired too)')));
    const search = h('button', {type: 'submit', class: 'primary'}, 'Search');
    const form = h('form', {class: 'search', role: 'search', 'aria-label': 'Search certificates'}, cn, serial, estProfile, certProfile, status,
      h('div', {class: 'field actions'}, search));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.filters = {
        common_name: cnInput.value.trim(), serial: serialInput.value.trim(),
        est_profile: estInput.value.trim(), profile_id: certInput.value.trim(), status: statusInput.value,
      };
      busy(search, 'Searching…', () => this.pager.first());
    });
    return form;
  }

  async fetch(cursor) {
    try {
      const {data} = await api(`/api/v1/est/certificates${query({...this.filters, limit: PAGE_SIZE, cursor})}`);
      fill(this.error);
      this.render(data.certificates);
      return data.next_cursor;
    } catch (e) {
      fill(this.error, message('error', e.message));
      fill(this.table);
      return null;
    }
  }

  render(certificates) {
    if (certificates.length === 0) {
      fill(this.table, message('notice', 'No certificate matches.'));
      return;
    }
    const head = h('tr', {}, ['Serial', 'Subject', 'EST profile', 'Certificate profile', 'Issued', 'Expires', 'Status', '']
      .map((n) => h('th', {scope: 'col'}, n)));
    const rows = certificates.map((c) => {
      const detail = h('button', {type: 'button', class: 'link', 'aria-label': `Details of ${c.subject} (serial ${c.serial})`}, 'Details');
      detail.addEventListener('click', () => this.detail(c));
      return h('tr', {'data-serial': c.serial},
        h('td', {}, h('code', {class: 'serial'}, c.serial)),
        h('td', {class: 'subject'}, c.subject),
        h('td', {}, c.est_profile || '(root)'),
        h('td', {}, c.profile_id),
        h('td', {class: 'nowrap'}, utc(c.issued_at)),
        h('td', {class: 'nowrap'}, utc(c.not_after)),
        h('td', {}, statusBadge(c.status)),
        h('td', {}, detail));
    });
    fill(this.table, h('table', {class: 'data', id: 'certificates-table'}, h('thead', {}, head), h('tbody', {}, rows)));
  }

  // The detail dialog, with the PEM and, for an admin, "Revoke".
  async detail(summary) {
    const body = h('div', {}, loading());
    openDialog(`Certificate ${summary.common_name || summary.serial}`, body);
    let c;
    try {
      const {data} = await api(`/api/v1/est/certificates${query({serial: summary.serial, issuer_id: summary.issuer_id, status: 'all', include: 'pem'})}`);
      c = data.certificates[0];
      if (!c) throw new Error('The certificate is no longer in the inventory.');
    } catch (e) {
      fill(body, message('error', e.message));
      return;
    }
    const rows = [
      ['Subject', c.subject], ['Serial', h('code', {class: 'serial'}, c.serial)], ['Status', statusBadge(c.status)],
      ['Issuer', c.issuer_id], ['EST profile', c.est_profile || '(root)'], ['Certificate profile', c.profile_id || '(none)'],
      ['Subject alt names', c.subject_alt_names.length ? c.subject_alt_names.join(', ') : '(none)'],
      ['Not before', utc(c.not_before)], ['Not after', utc(c.not_after)], ['Issued at', utc(c.issued_at)],
      ['Authenticated by', c.auth_mode], ['Source IP', c.source_ip], ['Request id', h('code', {}, c.request_id)],
      ['SHA-256 fingerprint', h('code', {class: 'fingerprint'}, colonHex(c.fingerprint_sha256))],
      ['Public key SHA-256', h('code', {class: 'fingerprint'}, colonHex(c.public_key_sha256))],
    ];
    if (c.revocation) {
      rows.push(['Revoked', `${utc(c.revocation.revoked_at)} by ${c.revocation.revoked_by}, reason ${c.revocation.reason}`]);
    }
    const parts = [
      h('dl', {class: 'facts wide'}, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('details', {}, h('summary', {}, 'PEM'), h('pre', {class: 'pem'}, c.pem ?? '(not available)')),
    ];
    if (this.session.admin && !c.revocation) parts.push(this.revokeOne(c));
    fill(body, parts);
  }

  revokeOne(c) {
    const [reasonField, reason] = field('Reason', reasonSelect());
    const revoke = h('button', {type: 'button', class: 'danger', id: 'revoke-one'}, 'Revoke…');
    const area = h('div', {class: 'revoke', 'aria-live': 'polite'});
    revoke.addEventListener('click', () => {
      const confirm = h('button', {type: 'button', class: 'danger', id: 'revoke-confirm'}, `Revoke serial ${c.serial}`);
      const cancel = h('button', {type: 'button', class: 'secondary', onclick: () => fill(area)}, 'Cancel');
      confirm.addEventListener('click', () => busy(confirm, 'Revoking… (CRL rebuild)', async () => {
        try {
          const {data} = await api('/api/v1/est/certificates/bulk-revoke', {method: 'POST',
            body: {serials: [c.serial], issuer_id: c.issuer_id, reason: reason.value}});
          fill(area, message(data.revoked_count === 1 ? 'ok' : 'notice',
            data.revoked_count === 1 ? `Revoked (${data.reason}). The CRL of ${c.issuer_id} lists it now; OCSP answers revoked.`
              : 'Nothing was revoked: it was revoked already.'), ...warnings(data));
          revoke.disabled = true;
          this.pager.reload();
        } catch (e) {
          fill(area, message('error', e.message));
        }
      }));
      fill(area, h('p', {class: 'confirm'}, `Revoke ${c.subject} (serial ${c.serial}) with reason ${reason.value}? This cannot be undone.`),
        h('div', {class: 'actions'}, confirm, cancel));
      confirm.focus();
    });
    return h('section', {class: 'danger-zone'}, h('h3', {}, 'Revoke this certificate'), reasonField, h('div', {class: 'actions'}, revoke), area);
  }

  bulkForm() {
    const inputs = {};
    const fields = [
      ['est_profile', 'EST profile', 'PathID'], ['profile_id', 'Certificate profile', ''], ['issuer_id', 'Issuer', ''],
      ['common_name', 'Common name', 'exact'],
    ].map(([name, label, hint]) => {
      const [wrap, input] = field(label, h('input', {type: 'text', spellcheck: 'false', 'data-bulk': name}), hint || undefined);
      inputs[name] = input;
      return wrap;
    });
    const [after, afterInput] = field('Issued after', h('input', {type: 'datetime-local', 'data-bulk': 'issued_after'}), 'UTC');
    const [before, beforeInput] = field('Issued before', h('input', {type: 'datetime-local', 'data-bulk': 'issued_before'}), 'UTC');
    const [reasonField, reason] = field('Reason', reasonSelect({'data-bulk': 'reason'}));
    const review = h('button', {type: 'submit', class: 'danger', id: 'bulk-review'}, 'Review bulk revoke…');
    const error = h('div', {'aria-live': 'polite'});
    const form = h('form', {class: 'search'}, fields, after, before, reasonField, h('div', {class: 'field actions'}, review));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const criteria = {};
      for (const [name, input] of Object.entries(inputs)) if (input.value.trim()) criteria[name] = input.value.trim();
      if (afterInput.value) criteria.issued_after = utcInput(afterInput.value);
      if (beforeInput.value) criteria.issued_before = utcInput(beforeInput.value);
      if (Object.keys(criteria).length === 0) {
        fill(error, message('error', 'Name at least one criterion: a bulk revoke never revokes everything.'));
        return;
      }
      fill(error);
      busy(review, 'Counting…', () => this.bulkReview(criteria, reason.value, error));
    });
    return h('details', {class: 'bulk'}, h('summary', {}, 'Bulk revoke by criteria'),
      h('p', {}, 'Revokes every EST-issued certificate matching all the criteria given. You will see how many first.'), form, error);
  }

  async bulkReview(criteria, reason, error) {
    let preview;
    try {
      ({data: preview} = await api('/api/v1/est/certificates/bulk-revoke', {method: 'POST', body: {...criteria, reason, dry_run: true}}));
    } catch (e) {
      fill(error, message('error', e.message));
      return;
    }
    const n = preview.would_revoke_count;
    const criteriaList = h('ul', {}, Object.entries(criteria).map(([k, v]) => h('li', {}, h('code', {}, k), ` = ${v}`)));
    if (n === 0) {
      openDialog('Bulk revoke', [h('p', {}, 'No certificate that is not revoked yet matches:'), criteriaList,
        h('p', {}, 'Nothing would be revoked.')]);
      return;
    }
    const [typed, typedInput] = field(`Type ${n} to confirm`, h('input', {type: 'text', inputmode: 'numeric', autocomplete: 'off', id: 'bulk-confirm-count'}));
    const go = h('button', {type: 'button', class: 'danger', id: 'bulk-confirm', disabled: true}, `Revoke ${n} certificate${n === 1 ? '' : 's'}`);
    typedInput.addEventListener('input', () => { go.disabled = typedInput.value.trim() !== String(n); });
    const result = h('div', {'aria-live': 'polite'});
    const cancel = h('button', {type: 'button', class: 'secondary', onclick: () => closeDialog()}, 'Cancel');
    go.addEventListener('click', () => busy(go, 'Revoking… (store, then CRLs)', async () => {
      try {
        const {data} = await api('/api/v1/est/certificates/bulk-revoke', {method: 'POST', body: {...criteria, reason}});
        fill(result, message('ok', `Revoked ${data.revoked_count} certificate${data.revoked_count === 1 ? '' : 's'} (${data.reason}).`), ...warnings(data));
        go.remove();
        typed.remove();
        cancel.textContent = 'Close';
        this.pager.reload();
      } catch (e) {
        fill(result, message('error', e.message));
      }
    }));
    openDialog('Confirm bulk revoke', [
      h('p', {class: 'confirm'}, h('strong', {id: 'bulk-count'}, `${n} certificate${n === 1 ? '' : 's'}`), ` will be revoked with reason ${reason}. This cannot be undone.`),
      h('p', {}, 'Criteria:'), criteriaList,
      h('p', {}, `Serials${preview.serials_truncated ? ' (first 20)' : ''}: `, preview.serials.map((s) => h('code', {class: 'serial'}, s, ' '))),
      typed, h('div', {class: 'actions'}, go, cancel), result,
    ]);
  }
}

// What went wrong after a revocation that stands anyway.
function warnings(data) {
  const out = [];
  for (const e of data.crl_errors ?? []) out.push(message('error', `The CRL of ${e.issuer_id} could not be rebuilt: ${e.error}. The revocation stands; OCSP answers it.`));
  if (data.audit_error) out.push(message('error', `The audit line could not be written: ${data.audit_error}. The revocation stands.`));
  return out;
}

// The operator console: sign-in, tabs, the health line. Each tab lives in
// its own module and renders into its panel from the operator API.
import {api, ApiError, storedKey, storeKey, forgetKey, whenUnauthorized} from './api.js';
import {h, fill} from './dom.js';
import {ProfilesTab} from './profiles.js';
import {ActivityTab} from './activity.js';
import {TrustTab} from './trust.js';
import {CertificatesTab} from './certificates.js';
import {closeDialog} from './dialog.js';

const $ = (id) => document.getElementById(id);
const TABS = ['profiles', 'activity', 'trust', 'certificates'];
const HEALTH_EVERY_MS = 30_000;

const state = {
  session: null,  // {name, admin} of the key signed in
  tabs: {},
  current: null,
  healthTimer: null,
};

function showSignIn(text = '') {
  state.session = null;
  clearInterval(state.healthTimer);
  for (const tab of Object.values(state.tabs)) tab.stop?.();
  state.tabs = {};
  state.current = null;
  $('console').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  fill($('health'));
  fill($('sign-in-error'), text);
  $('api-key').value = '';
  $('api-key').focus();
}

// The health line: readiness, the store, each issuer, the version.
function renderHealth(status) {
  const parts = [];
  parts.push(h('span', {class: `dot ${status.ready ? 'ok' : 'bad'}`, 'aria-hidden': 'true'}));
  parts.push(h('strong', {}, status.ready ? 'Ready' : 'Not ready'));
  if (!status.ready && status.not_ready_reason) parts.push(`: ${status.not_ready_reason}`);
  parts.push(h('span', {class: 'sep'}, ' · '), `store ${status.store}`);
  for (const issuer of status.issuers ?? []) {
    parts.push(h('span', {class: 'sep'}, ' · '),
      h('span', {class: issuer.ready ? '' : 'bad-text'}, `issuer ${issuer.id} ${issuer.ready ? 'can sign' : 'CANNOT SIGN'}`));
  }
  parts.push(h('span', {class: 'sep'}, ' · '), `estd ${status.version}`);
  fill($('health'), ...parts);
}

async function refreshHealth() {
  try {
    const {data} = await api('/api/v1/status');
    renderHealth(data);
  } catch (e) {
    fill($('health'), h('span', {class: 'dot bad', 'aria-hidden': 'true'}), h('strong', {}, 'Status unknown'), `: ${e.message}`);
  }
}

function selectTab(name, {focus = false} = {}) {
  if (!TABS.includes(name)) name = 'profiles';
  for (const other of TABS) {
    const selected = other === name;
    const tab = $(`tab-${other}`);
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(`panel-${other}`).hidden = !selected;
  }
  if (focus) $(`tab-${name}`).focus();
  if (state.current !== name) {
    state.tabs[state.current]?.hide?.();
    state.current = name;
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
    state.tabs[name].show();
  }
}

function startConsole(session) {
  state.session = session;
  $('sign-in').hidden = true;
  $('console').hidden = false;
  $('who').hidden = false;
  fill($('who-name'), `Signed in as `, h('strong', {}, session.name), session.admin ? ' (admin)' : ' (read-only key)');
  state.tabs = {
    profiles: new ProfilesTab($('panel-profiles'), session),
    activity: new ActivityTab($('panel-activity'), session),
    trust: new TrustTab($('panel-trust'), session),
    certificates: new CertificatesTab($('panel-certificates'), session),
  };
  selectTab(location.hash.slice(1) || 'profiles');
  refreshHealth();
  state.healthTimer = setInterval(refreshHealth, HEALTH_EVERY_MS);
}

// Checks `key` against the server; a session or a sentence saying why not.
async function trySignIn(key) {
  try {
    const {data} = await api('/api/v1/status', {key});
    renderHealth(data);
    return {session: {name: data.key.name, admin: data.key.admin}};
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      return {error: 'That API key was refused: it is not one of the keys in CERTCTL_API_KEYS_NAMED. Check it and try again.'};
    }
    return {error: e.message};
  }
}

function wire() {
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = $('api-key').value.trim();
    if (!key) {
      fill($('sign-in-error'), 'Enter an API key.');
      return;
    }
    const button = $('sign-in-button');
    button.disabled = true;
    fill($('sign-in-error'), 'Checking the key…');
    const result = await trySignIn(key);
    button.disabled = false;
    if (result.error) {
      fill($('sign-in-error'), result.error);
      $('api-key').select();
      return;
    }
    storeKey(key);
    $('api-key').value = '';
    fill($('sign-in-error'));
    startConsole(result.session);
    $(`tab-${state.current}`).focus();
  });
  $('sign-out').addEventListener('click', () => {
    forgetKey();
    closeDialog();
    showSignIn('Signed out. The key was removed from this tab.');
  });
  whenUnauthorized(() => {
    forgetKey();
    closeDialog();
    showSignIn('The server no longer accepts this API key (401). Sign in again.');
  });
  const tablist = document.querySelector('[role=tablist]');
  tablist.addEventListener('click', (event) => {
    const tab = event.target.closest('[role=tab]');
    if (tab) selectTab(tab.dataset.tab);
  });
  // Arrow keys move between tabs, as in any tab strip (WAI-ARIA).
  tablist.addEventListener('keydown', (event) => {
    const at = TABS.indexOf(state.current);
    const moves = {ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1};
    if (!(event.key in moves)) return;
    event.preventDefault();
    selectTab(TABS[(moves[event.key] + TABS.length) % TABS.length], {focus: true});
  });
  window.addEventListener('hashchange', () => {
    if (state.session) selectTab(location.hash.slice(1));
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.session) refreshHealth();
  });
}

async function boot() {
  wire();
  const key = storedKey();
  if (!key) {
    showSignIn();
    return;
  }
  const result = await trySignIn(key);
  if (result.error) {
    forgetKey();
    showSignIn(result.error);
    return;
  }
  startConsole(result.session);
}

boot();

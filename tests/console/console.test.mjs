// The operator console in Debian's Chromium, against a real estd started by
// console_browser_test.cpp (which passes its address, keys and work
// directory in the environment). Checks, in order:
//  - the console's files are served under /est only, with the CSP;
//  - a wrong key is refused at sign-in with a clear message;
//  - an admin signs in; Profiles shows each profile's badges, trust anchors
//    in their countdown colours and the counter grid, which moves after an
//    enrollment made during the test;
//  - "Reload trust anchor" after the bundle file changed shows "reloaded",
//    a broken bundle "kept old anchors", and Trust Bundle the new anchor
//    with the fingerprint openssl computes;
//  - Recent Activity's chips filter the rows;
//  - a certificate revoked from its detail fails `openssl verify -crl_check`
//    with the CRL fetched from estd; a bulk revoke confirms the count first;
//  - tabs work with the arrow keys; a narrow window has no sideways scroll;
//  - a read-only key sees "Admin access required" (and the server says 403);
//  - no console error and no request to any origin but estd's throughout.
// Screenshots of each tab go to ESTD_SCREENSHOT_DIR.
import {chromium} from 'playwright-core';
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const env = process.env;
const base = env.ESTD_URL.replace(/\/$/, '');
const origin = new URL(base).origin;
const work = env.ESTD_WORK_DIR;
const shots = env.ESTD_SCREENSHOT_DIR;
const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console');
const started = Date.now();

const failures = [];
function check(condition, what) {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
  if (!condition) failures.push(what);
}

function sh(command) {
  return execFileSync('bash', ['-c', command], {cwd: work, encoding: 'utf8'});
}
function shStatus(command) {
  const r = spawnSync('bash', ['-c', command], {cwd: work, encoding: 'utf8'});
  return {code: r.status, out: `${r.stdout}${r.stderr}`};
}
const curl = `curl -sS --cacert pki/root-ca.crt`;

// Enrolls CN=name on corp with HTTP Basic; returns the serial (lower-case hex).
function enroll(name, password = env.ESTD_CORP_PASSWORD) {
  sh(`openssl ecparam -name prime256v1 -genkey -noout -out ${name}.key && ` +
     `openssl req -new -key ${name}.key -subj '/CN=${name}' -outform DER | base64 -w0 > ${name}.b64`);
  const r = shStatus(`${curl} -f -u device:${password} -H 'Content-Type: application/pkcs10' ` +
     `--data-binary @${name}.b64 ${base}/.well-known/est/corp/simpleenroll -o ${name}.p7`);
  if (r.code !== 0) return null;
  sh(`base64 -d ${name}.p7 | openssl pkcs7 -inform DER -print_certs > ${name}.crt`);
  return sh(`openssl x509 -in ${name}.crt -noout -serial`).split('=')[1].trim().toLowerCase();
}

// ---- Served under /est only ----
const assets = fs.readdirSync(consoleDir);
for (const name of assets) {
  const content = fs.readFileSync(path.join(consoleDir, name));
  const got = execFileSync('bash', ['-c', `${curl} ${base}/est/${name}`], {cwd: work});
  check(Buffer.compare(got, content) === 0, `/est/${name} serves console/${name}`);
  for (const elsewhere of [`/${name}`, `/.well-known/est/${name}`, `/.well-known/est/corp/${name}`,
    `/api/v1/${name}`, `/console/${name}`, `/static/${name}`, `/est.${name}`]) {
    const r = execFileSync('bash', ['-c', `${curl} -H 'Authorization: Bearer ${env.ESTD_ADMIN_KEY}' -o - -w '\\n%{http_code}' '${base}${elsewhere}'`], {cwd: work});
    const status = r.toString().trim().split('\n').pop();
    check(status !== '200' && !r.includes(content), `${elsewhere} is not a console file (HTTP ${status})`);
  }
}
const headers = sh(`${curl} -D - -o /dev/null ${base}/est`).toLowerCase();
check(/content-security-policy: default-src 'self'/.test(headers), 'the page carries a CSP allowing only self');
check(headers.includes('x-content-type-options: nosniff') && headers.includes('referrer-policy: no-referrer'), 'nosniff and no-referrer');
check(sh(`${curl} -I -o /dev/null -w '%{http_code}' ${base}/est/app.js`) === '200', 'HEAD /est/app.js is 200');

// ---- Enrollments before the browser, and one refused password ----
const serials = {};
for (const name of ['console-dev-1', 'console-dev-2', 'console-dev-3']) serials[name] = enroll(name);
check(Object.values(serials).every(Boolean), 'three enrollments on corp');
check(enroll('console-bad', 'wrong-password') === null, 'an enrollment with a wrong password is refused');

// ---- The browser ----
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const problems = {console: [], foreign: []};
async function openPage(label, {allow401 = false, viewport = {width: 1280, height: 860}} = {}) {
  // The test CA is not in Chromium's store; the page is reached over estd's
  // real TLS all the same.
  const context = await browser.newContext({ignoreHTTPSErrors: true, viewport});
  const page = await context.newPage();
  // Generous: under CI the suite runs two tests at once on two cores.
  page.setDefaultTimeout(20_000);
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    if (allow401 && /status of 401/.test(msg.text())) return;
    problems.console.push(`${label}: ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (error) => problems.console.push(`${label}: page error: ${error.message}`));
  page.on('request', (request) => {
    const u = new URL(request.url());
    if (u.origin !== origin) problems.foreign.push(`${label}: ${request.url()}`);
  });
  return page;
}
const shot = (page, name) => page.screenshot({path: path.join(shots, `${name}.png`)});

async function signIn(page, key) {
  await page.goto(`${base}/est`);
  await page.locator('#api-key').fill(key);
  await page.locator('#api-key').press('Enter');
}

try {
  // A wrong key.
  const wrong = await openPage('wrong key', {allow401: true});
  await wrong.goto(`${base}/est`);
  await shot(wrong, 'sign-in');
  await signIn(wrong, 'not-a-key-of-this-estd');
  await wrong.locator('#sign-in-error', {hasText: 'refused'}).waitFor();
  check(await wrong.locator('#console').isHidden(), 'a wrong key is refused and sees no console');
  check((await wrong.evaluate(() => sessionStorage.length + localStorage.length)) === 0, 'a refused key is not stored');

  // The admin.
  const page = await openPage('admin');
  await signIn(page, env.ESTD_ADMIN_KEY);
  await page.locator('#who-name', {hasText: 'ops'}).waitFor();
  check((await page.evaluate(() => localStorage.length)) === 0, 'the key is not in localStorage');
  check((await page.locator('#api-key').inputValue()) === '', 'the key field is cleared');
  await page.locator('#health', {hasText: 'Ready'}).waitFor();
  const health = await page.locator('#health').textContent();
  check(/store sqlite/.test(health) && /issuer iss-local can sign/.test(health) && /estd \d/.test(health), `health line: ${health}`);

  // Profiles.
  const corp = page.locator('article[data-profile="corp"]');
  const iot = page.locator('article[data-profile="iot"]');
  await corp.waitFor();
  check(await corp.locator('.badge', {hasText: 'Basic'}).isVisible(), 'corp has the Basic badge');
  check(await iot.locator('.badge', {hasText: 'mTLS'}).isVisible(), 'iot has the mTLS badge');
  check((await corp.textContent()).includes('cp-corp-laptops') && (await corp.textContent()).includes('iss-local'), 'corp card: certificate profile and issuer');
  check(await iot.locator('.countdown.amber').count() === 1 && await iot.locator('.countdown.red').count() === 1, 'iot anchors: one amber, one red');
  const counter = corp.locator('.counter[data-code="est_simple_enroll_success"] .value');
  const before = Number(await counter.textContent());
  check(before === 3, `corp counts 3 enrollments (${before})`);
  check(await corp.locator('.counter').count() >= 12, 'the counter grid has every est_* code');
  check(Number(await corp.locator('.counter[data-code="est_auth_failed_basic"] .value').textContent()) === 1, 'the refused password is counted');
  serials['console-dev-4'] = enroll('console-dev-4');
  await page.locator('#profiles-refresh').click();
  await corp.locator('.counter[data-code="est_simple_enroll_success"] .value', {hasText: String(before + 1)}).waitFor();
  check(true, 'the counter moved after an enrollment made during the test');
  await shot(page, 'profiles');

  // Reload a changed bundle, then a broken one (the old anchors stay).
  sh('cat boot-amber.crt boot-red.crt boot-green.crt > iot-bundle.pem');
  await iot.locator('button[data-reload="iot"]').click();
  await page.locator('#dialog button', {hasText: 'Reload now'}).click();
  await page.locator('#dialog .outcome', {hasText: 'reloaded'}).waitFor();
  await shot(page, 'reload-trust-anchor');
  await page.locator('#dialog-close').click();
  await iot.locator('.countdown.green').waitFor();
  check(true, 'the reloaded anchor shows on the profile card (green)');
  sh('cp iot-bundle.pem iot-bundle.good && echo garbage > iot-bundle.pem');
  await iot.locator('button[data-reload="iot"]').click();
  await page.locator('#dialog button', {hasText: 'Reload now'}).click();
  await page.locator('#dialog .outcome', {hasText: 'kept old anchors'}).waitFor();
  check((await page.locator('#dialog').textContent()).includes('previous anchors stay in force'), 'a broken bundle: kept old anchors, with the reason');
  await page.keyboard.press('Escape');
  sh('cp iot-bundle.good iot-bundle.pem');

  // Trust Bundle.
  await page.locator('#tab-trust').click();
  const bundle = page.locator('section.bundle[data-profile="iot"]');
  await bundle.locator('td', {hasText: 'IoT Bootstrap CA boot-green'}).waitFor();
  const fingerprint = sh('openssl x509 -in boot-green.crt -noout -fingerprint -sha256').split('=')[1].trim();
  check((await bundle.textContent()).includes(fingerprint), 'Trust Bundle shows the new anchor with its SHA-256 fingerprint');
  check(await bundle.locator('tbody tr').count() === 3, 'three anchors in force after the reload');
  await shot(page, 'trust-bundle');

  // Recent Activity and its chips.
  await page.locator('#tab-activity').click();
  await page.locator('#activity-table').waitFor();
  const actions = async () => page.locator('#activity-table tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.action));
  let all = await actions();
  check(all.includes('est_simple_enroll_success') && all.includes('est_auth_failed_basic'), `All: enrollments and the auth failure (${all.length} rows)`);
  check(!all.some((a) => a.startsWith('est_trust_anchor') || a.startsWith('est_cacerts')), 'All: only the four EST outcome families');
  check((await page.locator('#activity-table').textContent()).includes('127.0.0.1'), 'the source IP is shown');
  await shot(page, 'recent-activity');
  await page.locator('[data-chip="authfail"]').click();
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#activity-table tbody tr')];
    return rows.length > 0 && rows.every((r) => r.dataset.action.startsWith('est_auth_failed'));
  });
  const failed = await actions();
  check(failed.length === 1 && failed[0] === 'est_auth_failed_basic', 'AuthFailure: only the refused password');
  await page.locator('[data-chip="reenroll"]').click();
  await page.locator('#panel-activity .banner', {hasText: 'No Re-enrollment events'}).waitFor();
  check(true, 'Re-enrollment: none, said in words');
  await page.locator('[data-chip="enroll"]').click();
  await page.waitForFunction(() => document.querySelectorAll('#activity-table tbody tr[data-action="est_simple_enroll_success"]').length === 4);
  check(true, 'Enrollment: the four enrollments');
  await page.locator('#activity-refresh').click();

  // Certificates: search, detail, revoke one.
  await page.locator('#tab-certificates').click();
  await page.locator('#certificates-table').waitFor();
  check(await page.locator('#certificates-table tbody tr').count() === 4, 'four active certificates listed');
  await page.locator('input[data-filter="common_name"]').fill('console-dev-2');
  await page.locator('form.search button[type=submit]', {hasText: 'Search'}).click();
  await page.waitForFunction(() => document.querySelectorAll('#certificates-table tbody tr').length === 1);
  await page.locator(`#certificates-table tr[data-serial="${serials['console-dev-2']}"] button`).click();
  await page.locator('#dialog pre.pem').waitFor({state: 'attached'});
  check((await page.locator('#dialog').textContent()).includes(serials['console-dev-2']), 'the detail shows the serial');
  await shot(page, 'certificate-detail');
  await page.locator('#revoke-one').click();
  await page.locator('#revoke-confirm').click();
  await page.locator('#dialog .banner.ok', {hasText: 'Revoked'}).waitFor();
  await page.keyboard.press('Escape');
  sh(`${curl} -f -o crl.der ${base}/.well-known/pki/crls/iss-local.crl && openssl crl -inform DER -in crl.der -out crl.pem`);
  const verify = shStatus('openssl verify -crl_check -CAfile chain.pem -CRLfile crl.pem console-dev-2.crt');
  check(verify.code !== 0 && /revoked/.test(verify.out), `openssl verify -crl_check fails for the revoked certificate: ${verify.out.trim().split('\n').pop()}`);
  check(shStatus('openssl verify -crl_check -CAfile chain.pem -CRLfile crl.pem console-dev-1.crt').code === 0, 'and passes for one not revoked');

  // Bulk revoke with the count first.
  await page.locator('details.bulk summary').click();
  await page.locator('input[data-bulk="common_name"]').fill('console-dev-3');
  await page.locator('select[data-bulk="reason"]').selectOption('keyCompromise');
  await page.locator('#bulk-review').click();
  await page.locator('#bulk-count').waitFor();
  check((await page.locator('#bulk-count').textContent()) === '1 certificate', 'the confirmation says how many will be revoked');
  check(await page.locator('#bulk-confirm').isDisabled(), 'bulk revoke waits for the count to be typed');
  await page.locator('#bulk-confirm-count').fill('1');
  await shot(page, 'bulk-revoke-confirm');
  await page.locator('#bulk-confirm').click();
  await page.locator('#dialog .banner.ok', {hasText: 'Revoked 1 certificate'}).waitFor();
  await page.keyboard.press('Escape');
  const listed = JSON.parse(sh(`${curl} -H 'Authorization: Bearer ${env.ESTD_ADMIN_KEY}' '${base}/api/v1/est/certificates?common_name=console-dev-3&status=all'`));
  check(listed.certificates[0]?.revocation?.reason === 'keyCompromise', 'the bulk revoke is in the inventory with its reason');
  await page.locator('input[data-filter="common_name"]').fill('');
  await page.locator('select[data-filter="status"]').selectOption('all');
  await page.locator('form.search button[type=submit]', {hasText: 'Search'}).click();
  await page.waitForFunction(() => document.querySelectorAll('#certificates-table .status.revoked').length === 2);
  await shot(page, 'certificates');

  // Keyboard: arrow keys move between tabs.
  await page.locator('#tab-certificates').focus();
  await page.keyboard.press('ArrowLeft');
  check(await page.locator('#tab-trust').getAttribute('aria-selected') === 'true', 'ArrowLeft selects the previous tab');
  check(await page.evaluate(() => document.activeElement?.id) === 'tab-trust', 'and focuses it');
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowRight');
  check(await page.locator('#tab-profiles').getAttribute('aria-selected') === 'true', 'ArrowRight from the last tab wraps to Profiles');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Home');
  check(await page.locator('#tab-profiles').getAttribute('aria-selected') === 'true', 'Home selects Profiles');
  // The focus ring is drawn for keyboard focus.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(outline === 'solid', `the focused tab has a visible focus ring (${outline})`);

  // A narrow window.
  await page.setViewportSize({width: 390, height: 844});
  await corp.waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `no sideways scrolling at 390 px (${overflow} px)`);
  await shot(page, 'narrow');

  // Sign out forgets the key.
  await page.locator('#sign-out').click();
  await page.locator('#sign-in').waitFor();
  check((await page.evaluate(() => sessionStorage.length)) === 0, 'sign out removes the key');

  // A read-only key.
  const viewer = await openPage('viewer');
  await signIn(viewer, env.ESTD_VIEWER_KEY);
  await viewer.locator('#who-name', {hasText: 'read-only'}).waitFor();
  await viewer.locator('#panel-profiles .banner', {hasText: 'Admin access required'}).waitFor();
  await shot(viewer, 'read-only-key');
  for (const tab of ['activity', 'trust']) {
    await viewer.locator(`#tab-${tab}`).click();
    check(await viewer.locator(`#panel-${tab} .banner`, {hasText: 'Admin access required'}).isVisible(), `read-only key: ${tab} says Admin access required`);
  }
  await viewer.locator('#tab-certificates').click();
  await viewer.locator('#certificates-table').waitFor();
  check(await viewer.locator('details.bulk').count() === 0, 'read-only key: no bulk revoke');
  for (const [method, api] of [['GET', '/api/v1/admin/est/profiles'], ['GET', '/api/v1/audit'], ['POST', '/api/v1/est/certificates/bulk-revoke']]) {
    const code = sh(`${curl} -o /dev/null -w '%{http_code}' -X ${method} -H 'Authorization: Bearer ${env.ESTD_VIEWER_KEY}' -H 'Content-Type: application/json' ${method === 'POST' ? `-d '{"serials":["${serials['console-dev-1']}"]}'` : ''} ${base}${api}`);
    check(code === '403', `the server refuses the read-only key: ${method} ${api} ${code}`);
  }
} catch (e) {
  check(false, `the walk through the console stopped: ${e.stack ?? e}`);
} finally {
  await browser.close();
}

check(problems.console.length === 0, `no console errors${problems.console.length ? `: ${problems.console.join(' | ')}` : ''}`);
check(problems.foreign.length === 0, `no request outside estd${problems.foreign.length ? `: ${problems.foreign.join(' | ')}` : ''}`);
console.log(`console browser test: ${((Date.now() - started) / 1000).toFixed(1)} s, ${failures.length} failure(s)`);
process.exit(failures.length === 0 ? 0 : 1);

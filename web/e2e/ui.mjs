// End-to-end test of the web UI in headless Chromium (Debian's chromium,
// driven by playwright-core). crates/cli/tests/ui.rs prepares a server and
// runs this with:
//   SIGNET_URL, SIGNET_TOKEN, SIGNET_MIXED (a repository with signed,
//   unsigned and quarantined artifacts), SIGNET_IMAGE_REPO and
//   SIGNET_IMAGE_DIGEST (a signed image with custody events), SIGNET_BIG
//   (a repository with 10,000 artifacts), SIGNET_SHOTS (screenshot folder),
//   CHROMIUM (the browser binary).
// It prints one JSON line of measurements; any failed expectation throws
// (non-zero exit, the message on stderr).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const url = env('SIGNET_URL');
const token = env('SIGNET_TOKEN');
const shots = env('SIGNET_SHOTS');
mkdirSync(shots, { recursive: true });
const out = { shots: [], render_ms: [], api_ms: [] };

function expect(cond, message) {
  if (!cond) throw new Error(`expectation failed: ${message}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
const page = await context.newPage();
const consoleErrors = [];
// Expected refusals (the wrong token's 401, the bad policy's 400) show as
// failed loads; anything else logged as an error fails the test.
page.on('console', (m) => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(String(e)));
const shot = async (name) => {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  out.shots.push(path);
};

// 1. Sign in, keyboard only: a wrong token is refused, the right one works.
await page.goto(url);
await page.waitForSelector('#token');
expect(await page.evaluate(() => document.activeElement?.id) === 'token', 'the token field has focus');
await page.keyboard.type('sgn_0000000000000000000000000000000000000000000000000000000000000000');
await page.keyboard.press('Enter');
await page.waitForSelector('.signin .error');
await shot('01-sign-in-refused');
await page.fill('#token', '');
await page.keyboard.type(token);
await page.keyboard.press('Enter');
await page.waitForSelector('#repositories');
await page.waitForFunction(() => document.querySelector('#user')?.textContent === 'admin');
await shot('02-repositories');

// 2. No secret in the page: not in the HTML, script or style the server
// sends, not in the DOM after sign-in, and not in any URL.
for (const path of ['/', '/ui/app.js', '/ui/app.css']) {
  const r = await page.request.get(url + path);
  expect(r.ok(), `${path} is served`);
  expect(!(await r.text()).includes(token), `${path} does not contain the token`);
}
expect(!(await page.content()).includes(token), 'the DOM does not contain the token');
expect(!page.url().includes(token), 'the URL does not contain the token');

// 3. Keyboard navigation to the mixed repository: Tab to its link, Enter.
const mixed = env('SIGNET_MIXED');
let found = false;
for (let i = 0; i < 40 && !found; i++) {
  await page.keyboard.press('Tab');
  found = await page.evaluate((m) => document.activeElement?.textContent === m, mixed);
}
expect(found, `the link to ${mixed} is reachable with Tab`);
await page.keyboard.press('Enter');
await page.waitForSelector('#artifacts[data-rendered="true"]');
const statuses = await page.$$eval('#artifacts tbody tr', (rows) => rows.map((r) => r.dataset.status));
for (const s of ['signed', 'unsigned', 'quarantined']) {
  expect(statuses.includes(s), `${mixed} shows a ${s} artifact (saw ${statuses})`);
}
const signer = await page.$eval('#artifacts tbody tr[data-status="signed"] td:nth-child(6)', (td) => td.textContent);
expect(signer.includes('release-key'), `the signed artifact names its signer (saw ${signer})`);
await shot('03-artifacts-mixed');

// 4. The signed image: manifest, checks, decision, custody; the inclusion
// proofs verify in the browser.
const repo = env('SIGNET_IMAGE_REPO');
const digest = env('SIGNET_IMAGE_DIGEST');
await page.goto(`${url}/#/artifact/${repo}/${digest}`);
await page.waitForSelector('#layers');
await page.waitForSelector('#checks');
await page.waitForSelector('#timeline li');
const verified = await page.$$eval('#checks tbody tr', (rows) => rows.map((r) => r.textContent));
expect(verified.some((t) => t.includes('verified')), `a signature check verified (saw ${verified})`);
const decision = await page.textContent('#decision');
expect(decision.includes('allow'), `the policy decision is shown (saw ${decision})`);
const actions = await page.$$eval('#timeline li .what strong', (s) => s.map((x) => x.textContent));
expect(actions.includes('push') && actions.includes('sign'), `the timeline has push and sign (saw ${actions})`);
const keys = await page.$$eval('#timeline li .key', (k) => k.map((x) => x.textContent));
expect(keys.includes('release-key'), `the timeline names the signing key (saw ${keys})`);
await page.focus('#verify-proofs');
await page.keyboard.press('Enter');
await page.waitForSelector('#proof-result');
const proof = await page.$eval('#proof-result', (p) => ({ ok: p.dataset.ok, text: p.textContent }));
expect(proof.ok === 'true', `the inclusion proofs verify in the browser: ${proof.text}`);
const perEvent = await page.$$eval('#timeline .proof', (ps) => ps.map((p) => p.dataset.proof));
expect(perEvent.length > 0 && perEvent.every((p) => p === 'true'), `every logged event is proven (${perEvent})`);
out.proof = proof.text;
await shot('04-artifact-custody');

// 5. 10,000 artifacts: render time after the API answers, API time, then
// search, sort and pagination.
const big = env('SIGNET_BIG');
// Each render of the table bumps data-seq; a measurement waits for the
// render that follows the action.
const seq = () => page.$eval('#artifacts', (t) => Number(t.dataset.seq || 0)).catch(() => 0);
const measure = async (after) => {
  await page.waitForFunction(
    (s) => Number(document.querySelector('#artifacts')?.dataset.seq || 0) > s,
    after,
  );
  const m = await page.$eval('#artifacts', (t) => ({ render: Number(t.dataset.renderMs), api: Number(t.dataset.apiMs) }));
  out.render_ms.push(m.render);
  out.api_ms.push(m.api);
};
await page.goto(`${url}/#/repo/${big}`);
await measure(0);
expect((await page.textContent('#total')).startsWith('10000 '), 'the big repository lists 10,000 artifacts');
expect((await page.textContent('#page')) === 'Page 1 of 200', 'pagination shows 200 pages of 50');
await shot('05-artifacts-10000');
for (let i = 0; i < 4; i++) {
  const before = await seq();
  await page.click('#next');
  await measure(before);
  expect((await page.textContent('#page')) === `Page ${i + 2} of 200`, `on page ${i + 2}`);
}
let before = await seq();
await page.click('button.sort[data-sort="name"]');
await measure(before);
const first = await page.$eval('#artifacts tbody tr td a', (a) => a.textContent);
expect(first === 'v00000', `sorted by tag, the first is v00000 (saw ${first})`);
before = await seq();
await page.fill('#search', 'v04242');
await measure(before);
expect((await page.textContent('#total')) === '1 artifact', 'the search finds one artifact');
expect((await page.$eval('#artifacts tbody tr td a', (a) => a.textContent)) === 'v04242', 'search finds the tag');

// 6. Dark theme.
await page.goto(`${url}/#/repo/${mixed}`);
await page.waitForSelector('#artifacts[data-rendered="true"]');
await page.selectOption('.theme select', 'dark');
await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
expect(bg === 'rgb(13, 17, 23)', `the dark theme applies (background ${bg})`);
await shot('06-artifacts-dark');
await page.selectOption('.theme select', 'light');

// 7. A policy with a mistake: the error shows inline, at its line, and
// saving is refused; fixed, it saves.
await page.goto(`${url}/#/policies`);
await page.waitForSelector('#policy-text');
const bad = 'name: ui-check\nmode: enforcee\nrepositories: ["ui-check/*"]\nrules:\n  - name: images\n    artifact_types: [oci]\n    signature_type: cosign\n';
await page.fill('#policy-text', bad);
await page.waitForSelector('#policy-problems .problem[data-line="2"]');
const problem = await page.textContent('#policy-problems .problem[data-line="2"]');
expect(/mode/.test(problem), `the problem names the field (saw ${problem})`);
expect(await page.$eval('.gutter li:nth-child(2)', (li) => li.className) === 'bad', 'line 2 is marked');
await page.click('#policy-form button[type="submit"]');
await page.waitForSelector('#policy-form .error');
await shot('07-policy-inline-error');
await page.fill('#policy-text', bad.replace('enforcee', 'audit'));
await page.waitForFunction(() => document.querySelectorAll('#policy-problems .problem').length === 0);
await page.click('#policy-form button[type="submit"]');
await page.waitForSelector('#policy-saved');
await page.click('#policies a:text("ui-check")');
await page.waitForFunction(() => document.querySelector('#policy-text')?.value.includes('mode: audit'));
await page.fill('#policy-text', (await page.inputValue('#policy-text')).replace('mode: audit', 'mode: warn'));
await page.waitForFunction(() => document.querySelectorAll('#policy-problems .problem').length === 0);
await page.click('#policy-form button[type="submit"]');
await page.waitForFunction(() => document.querySelector('#policy-saved')?.textContent.includes('version 2'));
// The list follows: the policy is now in warn mode.
await page.waitForSelector('#policies tbody tr:has(a:text("ui-check")) td:nth-child(2):text-is("warn")');

// 8. Keys and audit pages.
await page.goto(`${url}/#/keys`);
await page.waitForSelector('#keys tbody tr');
expect((await page.textContent('#keys')).includes('release-key'), 'the keys page lists release-key');
await page.fill('#key-form input[name="name"]', 'ui-key');
await page.fill('#key-form textarea[name="public_key"]', env('SIGNET_KEY_PEM'));
await page.fill('#key-form input[name="repositories"]', 'ui-check/*');
await page.click('#key-form button[type="submit"]');
await page.waitForSelector('#key-form .ok');
await page.waitForFunction(() => document.querySelector('#keys')?.textContent.includes('ui-key'));
await shot('08-keys');
await page.goto(`${url}/#/audit?repository=${encodeURIComponent(repo)}`);
await page.waitForSelector('#audit tbody tr');
const audited = await page.$$eval('#audit tbody tr td:nth-child(3)', (t) => t.map((x) => x.textContent));
expect(audited.includes('push'), `the audit search finds pushes (saw ${audited})`);
await shot('09-audit');

// 9. Signing out forgets the token.
await page.click('#signout');
await page.waitForSelector('#token');
expect(await page.evaluate(() => sessionStorage.length) === 0, 'sign-out clears the session storage');

expect(consoleErrors.length === 0, `no console errors: ${consoleErrors.join(' | ')}`);
await browser.close();
console.log(JSON.stringify(out));

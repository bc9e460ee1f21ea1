// End-to-end tests of the hub's browser pages, run by scripts/browser-test against a served demo hub.
// Debian's Chromium through playwright-core, Chromium's virtual authenticator (CDP WebAuthn) for passkeys,
// axe-core on every page (0 serious or critical violations), screenshots at 1024x768 and 390x844.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const links = JSON.parse(readFileSync(process.env.AZUKARI_LINKS, 'utf8'));
const origin = links.origin;
const screens = process.env.AZUKARI_SCREENS;
const bin = process.env.AZUKARI_BIN;
const demo = process.env.AZUKARI_DEMO;
const port = process.env.AZUKARI_PORT;
const sizes = [
  { width: 1024, height: 768, name: 'tablet' },
  { width: 390, height: 844, name: 'phone' },
];

let browser;
const shots = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  if (browser) await browser.close();
  console.log(`screenshots: ${shots.length} in ${screens}`);
});

// A fresh context (its own cookies) with a page holding its own virtual passkey authenticator.
async function actor() {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'ja-JP' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true,
    },
  });
  const cspErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
  });
  return { context, page, cdp, authenticatorId, cspErrors };
}

// Screenshots at both sizes and axe-core at both sizes: no serious or critical violation.
async function capture(page, name) {
  for (const size of sizes) {
    await page.setViewportSize({ width: size.width, height: size.height });
    const file = path.join(screens, `${name}-${size.width}x${size.height}.png`);
    await page.screenshot({ path: file, fullPage: true });
    shots.push(file);
    await page.evaluate(axeSource);
    const result = await page.evaluate(async () =>
      // eslint-disable-next-line no-undef
      axe.run(document, { resultTypes: ['violations'] }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
      [],
      `axe on ${name} at ${size.width}x${size.height}`,
    );
  }
  await page.setViewportSize({ width: 1024, height: 768 });
}

// Every page in both languages.
async function captureBoth(page, name) {
  const here = new URL(page.url()).pathname;
  await capture(page, `${name}-ja`);
  await page.goto(`${origin}/lang/en?back=${encodeURIComponent(here)}`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await capture(page, `${name}-en`);
  await page.goto(`${origin}/lang/ja?back=${encodeURIComponent(here)}`);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
}

// The demo's caregiver phone (a separate process with its own store, syncing over HTTP) asks for `count`
// approvals and waits for the answers.
function phone(count) {
  const child = spawn(bin, ['demo-phone', '--dir', demo, '--url', `http://127.0.0.1:${port}`, '--requests', String(count), '--wait', '120'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
  const requested = new Promise((resolve, reject) => {
    const look = setInterval(() => {
      const ids = [...output.matchAll(/requested[^:]*: ([0-9a-f-]{36})/g)].map((m) => m[1]);
      if (ids.length >= count) { clearInterval(look); resolve(ids); }
    }, 100);
    done.then(({ code }) => { clearInterval(look); reject(new Error(`demo-phone exited ${code}: ${output}`)); });
  });
  return { requested, done, output: () => output };
}

async function csrfOf(page) {
  return page.getAttribute('input[name=csrf]', 'value');
}

async function postFromPage(page, url, body, csrf) {
  return page.evaluate(async ({ url, body, csrf }) => {
    const headers = { 'Content-Type': 'application/json' };
    if (csrf !== null) headers['X-Azukari-CSRF'] = csrf;
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
    let json = null;
    try { json = await response.json(); } catch (e) { json = null; }
    return { status: response.status, json };
  }, { url, body, csrf });
}

const state = {};

test('a supervisor registers a passkey from a one-time link and signs in with it', async () => {
  const supervisor = await actor();
  state.supervisor = supervisor;
  const { page } = supervisor;
  await page.goto(links.supervisor);
  assert.equal(new URL(page.url()).pathname, '/enrol', 'the token leaves the address bar');
  await captureBoth(page, 'staff-enrol');
  await page.click('form[data-passkey] button');
  await page.waitForURL(`${origin}/console`);
  const { credentials } = await supervisor.cdp.send('WebAuthn.getCredentials', { authenticatorId: supervisor.authenticatorId });
  assert.equal(credentials.length, 1);
  await captureBoth(page, 'console-home');

  // One-tap sign-out, then sign in again with the passkey.
  await page.click('form.signout button');
  await page.waitForURL(`${origin}/console/signin`);
  await captureBoth(page, 'console-signin');
  await page.click('form[data-passkey] button');
  await page.waitForURL(`${origin}/console`);
  const cookies = await supervisor.context.cookies();
  const session = cookies.find((c) => c.name.includes('azukari-session'));
  assert.ok(session.httpOnly && session.sameSite === 'Strict', 'session cookie is HttpOnly and SameSite=Strict');

  // The enrolment link was used up.
  const again = await page.goto(links.supervisor);
  assert.equal(again.status(), 410);
});

test('the pages send strict security headers and refuse cross-origin and CSRF-less posts', async () => {
  const { page } = state.supervisor;
  const response = await page.goto(`${origin}/console`);
  const headers = response.headers();
  assert.match(headers['content-security-policy'], /script-src 'self'/);
  assert.doesNotMatch(headers['content-security-policy'], /unsafe-inline/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['cache-control'], 'no-store');

  // A cross-origin POST (another site's Origin) is refused before anything runs.
  const cross = await fetch(`${origin}/console/decide/options`, {
    method: 'POST',
    headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' },
    body: '{}',
  });
  assert.equal(cross.status, 403);
  // A same-origin POST without the CSRF proof is refused too.
  const noCsrf = await postFromPage(page, '/console/decide/options', { request: '00000000-0000-0000-0000-000000000000', decision: 'approve' }, null);
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.json.code, 'csrf');
  assert.deepEqual(state.supervisor.cspErrors, []);
});

test('a request made on a phone appears live; the supervisor approves it with a passkey and the phone sees it', async () => {
  const { page } = state.supervisor;
  await page.goto(`${origin}/console/approvals`);
  await page.evaluate(() => { window.notReloaded = true; });
  const before = await page.locator('li.row').count();

  const device = phone(2);
  const [requestA, requestB] = await device.requested;
  const shownAt = Date.now();
  await page.waitForSelector(`input[name=request][value="${requestB}"]`, { state: 'attached', timeout: 15000 });
  await page.waitForSelector(`input[name=request][value="${requestA}"]`, { state: 'attached', timeout: 15000 });
  console.log(`requests shown live ${Date.now() - shownAt} ms after the phone's sync`);
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'no reload');
  assert.equal(await page.locator('li.row').count(), before + 2);
  await captureBoth(page, 'console-approvals');

  // Approve A, keeping the assertion the browser sent.
  let finishBody = null;
  page.on('request', (request) => {
    if (request.url().endsWith('/console/decide/finish')) finishBody = request.postData();
  });
  const approveA = page.locator(`form:has(input[name=request][value="${requestA}"]):has(input[name=decision][value=approve])`);
  await approveA.locator('button').click();
  await page.waitForSelector(`input[name=request][value="${requestA}"]`, { state: 'detached', timeout: 15000 });
  assert.ok(finishBody, 'the assertion was posted');
  for (let i = 0; i < 100 && !device.output().includes(`approved / 承認されました: ${requestA}`); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(device.output().includes(`approved / 承認されました: ${requestA}`), `the phone sees the approval: ${device.output()}`);

  // Replaying the same assertion is refused (its ceremony is used up).
  const csrf = await csrfOf(page);
  const replay = await postFromPage(page, '/console/decide/finish', JSON.parse(finishBody), csrf);
  assert.equal(replay.status, 409);
  // A's assertion offered for B is refused: it signs another challenge.
  const optionsB = await postFromPage(page, '/console/decide/options', { request: requestB, decision: 'approve' }, csrf);
  assert.equal(optionsB.status, 200);
  const moved = await postFromPage(page, '/console/decide/finish', JSON.parse(finishBody), csrf);
  assert.equal(moved.status, 403);
  assert.equal(moved.json.code, 'signature_refused');
  await page.reload();
  assert.equal(await page.locator(`input[name=request][value="${requestB}"]`).count(), 2, 'B is still pending');

  // Deny B with a reason: the phone hears the denial.
  const denyB = page.locator(`form:has(input[name=request][value="${requestB}"]):has(input[name=decision][value=deny])`);
  await denyB.locator('input[name=reason]').fill('本人の体調を確認してから / check how the resident is first');
  await denyB.locator('button').click();
  await page.waitForSelector(`input[name=request][value="${requestB}"]`, { state: 'detached', timeout: 15000 });
  const answered = await device.done;
  assert.equal(answered.code, 3, `the phone sees the denial: ${answered.output}`);
  assert.ok(answered.output.includes(`denied / 却下されました: ${requestB}`));
  await captureBoth(page, 'console-approvals-done');
});

test('the board, the people page and a new family link', async () => {
  const { page } = state.supervisor;
  await page.goto(`${origin}/console/board`);
  await captureBoth(page, 'console-board');
  await page.goto(`${origin}/console/people`);
  await captureBoth(page, 'console-people');
  await page.locator('form[action="/console/people/family-link"] button').first().click();
  await page.waitForSelector('.qr svg');
  await capture(page, 'console-family-link-ja');
  const csv = await page.evaluate(async () => {
    const r = await fetch('/console/ledger.csv');
    return { type: r.headers.get('content-type'), text: await r.text() };
  });
  assert.match(csv.type, /text\/csv/);
  assert.ok(csv.text.includes('承認'));
});

// Post one AppEvent from the drawn console app page, as one of its buttons does.
async function appPost(page, event) {
  await page.goto(`${origin}/console/app`);
  const csrf = await csrfOf(page);
  await Promise.all([
    page.waitForNavigation(),
    page.evaluate(({ event, csrf }) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/console/app';
      for (const [name, value] of [['csrf', csrf], ['event', JSON.stringify(event)]]) {
        const input = document.createElement('input');
        input.type = 'hidden'; input.name = name; input.value = value;
        form.appendChild(input);
      }
      document.body.appendChild(form);
      form.submit();
    }, { event, csrf }),
  ]);
}

test("the core's app: every screen a supervisor opens, drawn from its AppView", async () => {
  const { page } = state.supervisor;
  await page.goto(`${origin}/console/app`);
  assert.ok(await page.locator('form[action="/console/app"] button').count() > 0, 'buttons post events');
  await captureBoth(page, 'app-home');
  // A button of the drawn home screen opens its screen.
  const first = page.locator('li.row form[action="/console/app"] button').first();
  await Promise.all([page.waitForNavigation(), first.click()]);
  const screens = ['Board', 'Alerts', 'Audit', 'Incident', 'Agreements', 'Setup', 'Labels', 'Sync', 'Settings', 'MyRequests', 'Holding', 'Approvals'];
  for (const screen of screens) {
    await appPost(page, { Open: { screen } });
    assert.equal(await page.locator('main h1').count(), 1, screen);
    await capture(page, `app-${screen.toLowerCase()}-ja`);
  }
  // A decision from the app's own approve button goes to the passkey-signed approvals page.
  await appPost(page, { Approve: { request: '00000000-0000-0000-0000-000000000000' } });
  assert.equal(new URL(page.url()).pathname, '/console/approvals');
  await appPost(page, { Open: { screen: 'Home' } });
});

test('an administrator enrols and issues a staff link from the console', async () => {
  const admin = await actor();
  const { page } = admin;
  await page.goto(links.admin);
  await page.click('form[data-passkey] button');
  await page.waitForURL(`${origin}/console`);
  await page.goto(`${origin}/console/people`);
  await page.locator('form[action="/console/people/staff-link"] button').first().click();
  await page.waitForSelector('.qr svg');
  const link = (await page.textContent('p.code')).trim();
  assert.match(link, /\/enrol\?t=[A-Za-z0-9_-]{40,}$/);
  await capture(page, 'console-staff-link-ja');
  // The devices page and a new device's enrolment QR on screen.
  await page.goto(`${origin}/console/devices`);
  await captureBoth(page, 'console-devices');
  await page.fill('form[action="/console/devices/enroll"] input[name=label]', '2F タブレット');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/console/devices/enroll"] button')]);
  await page.waitForSelector('.qr svg');
  await capture(page, 'console-device-qr-ja');
  await admin.context.close();
});

test('a family member reads the agreement, confirms with a new passkey, sees the history, later revokes', async () => {
  const family = await actor();
  const { page } = family;
  await page.goto(links.family);
  assert.equal(new URL(page.url()).pathname, '/family', 'no token or personal data in the address');
  const text = await page.textContent('.document');
  assert.ok(text.length > 20, 'the agreement text is shown');
  await captureBoth(page, 'family-agreement');

  await page.locator('form[action="/family/confirm"] button').click();
  await page.waitForFunction(() => document.querySelector('main dl').textContent.includes('パスキーで確認済み'), null, { timeout: 15000 });
  assert.equal(await page.locator('form[action="/family/confirm"]').count(), 0, 'confirmed once');
  const { credentials } = await family.cdp.send('WebAuthn.getCredentials', { authenticatorId: family.authenticatorId });
  assert.equal(credentials.length, 1);
  await captureBoth(page, 'family-confirmed');

  await page.goto(`${origin}/family/history`);
  await captureBoth(page, 'family-history');
  const csv = await page.evaluate(async () => {
    const r = await fetch('/family/history.csv');
    return { type: r.headers.get('content-type'), text: await r.text(), disposition: r.headers.get('content-disposition') };
  });
  assert.match(csv.type, /text\/csv/);
  assert.match(csv.disposition, /attachment/);

  // A later visit: sign out, sign in with the passkey.
  await page.goto(`${origin}/family`);
  await page.click('form.signout button');
  await page.waitForURL(`${origin}/family/signin`);
  await captureBoth(page, 'family-signin');
  await page.click('form[data-passkey] button');
  await page.waitForURL(`${origin}/family`);

  // Revoke, signed.
  await page.locator('form[action="/family/revoke"] button').click();
  await page.waitForFunction(() => document.querySelector('main').textContent.includes('撤回されています'), null, { timeout: 15000 });
  assert.equal(await page.locator('form[action="/family/revoke"]').count(), 0, 'revoked once');
  await captureBoth(page, 'family-revoked');

  // The used link opens nothing.
  const other = await browser.newContext();
  const again = await other.newPage();
  const response = await again.goto(links.family);
  assert.equal(response.status(), 410);
  await capture(again, 'link-used-ja');
  const unknown = await again.goto(`${origin}/f?t=not-a-real-token`);
  assert.equal(unknown.status(), 404);
  await other.close();
  assert.deepEqual(family.cspErrors, []);
  await family.context.close();
});

test('an in-app browser without WebAuthn is told how to open the page in the phone browser', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await context.addInitScript(() => {
    delete window.PublicKeyCredential;
  });
  const page = await context.newPage();
  await page.goto(`${origin}/family/signin`);
  await page.waitForSelector('#webauthn-missing:not([hidden])');
  assert.ok((await page.textContent('#webauthn-missing')).includes('ブラウザで開く'));
  await capture(page, 'family-no-webauthn-ja');
  await context.close();
});

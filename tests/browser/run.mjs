// End-to-end tests of the hub's browser pages, run by scripts/browser-test against a served demo hub.
// Debian's Chromium through playwright-core, Chromium's virtual authenticator (CDP WebAuthn) for passkeys,
// axe-core on every page (0 serious or critical violations), screenshots at 1024x768 and 390x844.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
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
    // A message missing from the catalogue shows as its id ("web-devices-seen"): never on a page.
    const shown = await page.evaluate(() => document.body.innerText);
    const ids = shown.match(/\b(web|app|book|alert|flow|handover|approval|consent|audit|incident|setup|board|rules|qr|card)-[a-z0-9]+(-[a-z0-9]+)+\b/g);
    assert.equal(ids, null, `message ids shown instead of text on ${name}: ${ids}`);
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

// The console's own pages for the app's screens (hub/src/web/console_app.rs PAGES), in the navigation's order.
const appPages = [
  ['alerts', '/console/alerts'],
  ['audit', '/console/audit'],
  ['incidents', '/console/incidents'],
  ['agreements', '/console/agreements'],
  ['setup', '/console/setup'],
  ['labels', '/console/labels'],
];

// The button of the drawn app screen that posts `event` (a section's own form or a plain action form).
function eventButton(page, path, event) {
  const value = JSON.stringify(JSON.stringify(event));
  return page.locator(`form[action="${path}"] button[name=event][value=${value}], form[action="${path}"]:has(input[name=event][value=${value}]) button`);
}

test("the console's own pages of the app's screens: in the navigation, each opens its screen marked current", async () => {
  const { page } = state.supervisor;
  await page.goto(`${origin}/console`);
  for (const [name, href] of appPages) {
    const link = page.locator(`nav a[href="${href}"]`);
    assert.equal(await link.count(), 1, `${href} is in the supervisor's navigation`);
    await Promise.all([page.waitForURL(`${origin}${href}`), link.click()]);
    assert.equal(await page.getAttribute(`nav a[href="${href}"]`, 'aria-current'), 'page', href);
    assert.equal(await page.locator('nav a[aria-current=page]').count(), 1, href);
    assert.equal(await page.locator('main h1').count(), 1, href);
    assert.equal(await page.locator('#live .notice.error').count(), 0, `${href} opens without a refusal`);
    // Its buttons post back to the page itself.
    assert.ok(await page.locator(`form[action="${href}"]`).count() > 0, `${href} has its own forms`);
    await captureBoth(page, `console-${name}`);
  }

  // A screen reached from a page stays on it: one agreement from the list of agreements.
  await page.goto(`${origin}/console/agreements`);
  const agreement = page.locator('li.row form[action="/console/agreements"] button').first();
  await Promise.all([page.waitForNavigation(), agreement.click()]);
  assert.equal(new URL(page.url()).pathname, '/console/agreements');
  assert.equal(await page.getAttribute('nav a[href="/console/agreements"]', 'aria-current'), 'page');
  await capture(page, 'console-agreements-one-ja');

  // The way back from a page's screen leads to the app's home, at the app's own address.
  await page.goto(`${origin}/console/audit`);
  await Promise.all([page.waitForURL(`${origin}/console/app`), eventButton(page, '/console/audit', 'Back').first().click()]);
  assert.equal(await page.getAttribute('nav a[href="/console/app"]', 'aria-current'), 'page');
  // The app's page opens at home when the screen kept has a page of its own.
  await page.goto(`${origin}/console/labels`);
  await page.click('nav a[href="/console/app"]');
  await page.waitForURL(`${origin}/console/app`);
  assert.ok(await page.locator(`li.row form[action="/console/app"] input[name=event][value='${JSON.stringify({ Open: { screen: 'Labels' } })}']`).count() > 0, 'the app page shows home');
});

// Render the first page of `pdf` in Chromium with pdf.js (served to the page from node_modules by Playwright;
// no network): its page size in points, its text, how much of it is dark, and a PNG of it.
async function renderPdf(pdf) {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  const viewer = await context.newPage();
  const base = 'http://pdf-viewer.test';
  const files = {
    '/index.html': ['text/html', '<!doctype html><html lang="en"><title>label sheet</title><body style="margin:0;background:#fff"></body></html>'],
    '/pdf.min.mjs': ['text/javascript', readFileSync(require.resolve('pdfjs-dist/build/pdf.min.mjs'))],
    '/pdf.worker.min.mjs': ['text/javascript', readFileSync(require.resolve('pdfjs-dist/build/pdf.worker.min.mjs'))],
    '/sheet.pdf': ['application/pdf', pdf],
  };
  await viewer.route(`${base}/**`, (route) => {
    const file = files[new URL(route.request().url()).pathname];
    if (!file) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ status: 200, contentType: file[0], body: file[1] });
  });
  await viewer.goto(`${base}/index.html`);
  const rendered = await viewer.evaluate(async (base) => {
    const pdfjs = await import(`${base}/pdf.min.mjs`);
    const worker = await (await fetch(`${base}/pdf.worker.min.mjs`)).text();
    pdfjs.GlobalWorkerOptions.workerPort = new Worker(
      URL.createObjectURL(new Blob([worker], { type: 'text/javascript' })), { type: 'module' });
    const data = new Uint8Array(await (await fetch(`${base}/sheet.pdf`)).arrayBuffer());
    const doc = await pdfjs.getDocument({ data, isEvalSupported: false, useSystemFonts: false }).promise;
    const first = await doc.getPage(1);
    const size = first.getViewport({ scale: 1 });
    const viewport = first.getViewport({ scale: 2 });
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(viewport.width);
    canvas.height = Math.ceil(viewport.height);
    document.body.appendChild(canvas);
    const context = canvas.getContext('2d');
    await first.render({ canvas, canvasContext: context, viewport }).promise;
    const text = (await first.getTextContent()).items.map((item) => item.str).join('');
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let dark = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 80 && pixels[i + 1] < 80 && pixels[i + 2] < 80) dark++;
    return {
      pages: doc.numPages, width: size.width, height: size.height, text,
      dark: dark / (canvas.width * canvas.height), png: canvas.toDataURL('image/png'),
    };
  }, base);
  await context.close();
  return rendered;
}

test('the labels page prints an A4 label sheet as a PDF download, and the page says what to do next', async () => {
  const { page } = state.supervisor;
  await page.goto(`${origin}/console/labels`);
  const lockers = (await page.locator('li.row .row-title').allTextContents()).map((t) => t.trim());
  assert.ok(lockers.length > 0, 'the labels page lists the lockers');
  const issue = eventButton(page, '/console/labels', 'IssueLabels');
  assert.equal(await issue.count(), 1, 'the issue button');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), issue.click()]);
  const name = download.suggestedFilename();
  assert.match(name, /^azukari-labels-\d{8}\.pdf$/);
  const pdf = readFileSync(await download.path());
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');

  // The page after the download: its own address, the app's notice, and a button to download the same sheet
  // again (without issuing new labels).
  assert.equal(new URL(page.url()).pathname, '/console/labels');
  assert.ok((await page.textContent('#live')).includes('新しいラベルを発行しました'), 'the app says to print and replace the labels');
  const again = page.locator('#live a.btn[href="/console/download"]');
  assert.equal(await again.count(), 1);
  const served = await page.evaluate(async () => {
    const r = await fetch('/console/download');
    const bytes = new Uint8Array(await r.arrayBuffer());
    return { type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), cache: r.headers.get('cache-control'), size: bytes.length };
  });
  assert.equal(served.type, 'application/pdf');
  assert.equal(served.disposition, `attachment; filename="${name}"`);
  assert.equal(served.cache, 'no-store');
  assert.equal(served.size, pdf.length, 'the same sheet again');
  await capture(page, 'console-labels-issued-ja');
  // A reload neither issues labels again nor starts the download again.
  await page.reload();
  assert.equal(await page.locator('main[data-download]').count(), 0);
  assert.equal(await page.locator('#live a.btn[href="/console/download"]').count(), 0);

  // A4 (595 x 842 pt), the lockers' names in the text, QR codes drawn; the first page as a PNG to look at.
  const sheet = await renderPdf(pdf);
  assert.ok(Math.abs(sheet.width - 595.28) < 1 && Math.abs(sheet.height - 841.89) < 1, `A4: ${sheet.width} x ${sheet.height}`);
  const shown = lockers.filter((locker) => sheet.text.includes(locker.replace(/\s+/g, '')) || sheet.text.includes(locker));
  assert.ok(shown.length > 0, `locker names on the sheet: ${sheet.text.slice(0, 200)}`);
  assert.ok(sheet.dark > 0.02, `QR codes drawn (dark share ${sheet.dark})`);
  const file = path.join(screens, 'labels-pdf-page1.png');
  writeFileSync(file, Buffer.from(sheet.png.split(',')[1], 'base64'));
  shots.push(file);
  console.log(`label sheet: ${name}, ${pdf.length} bytes, ${sheet.pages} page(s), ${sheet.width} x ${sheet.height} pt`);
});

test('an administrator enrols and issues a staff link from the console', async () => {
  const admin = await actor();
  const { page } = admin;
  await page.goto(links.admin);
  await page.click('form[data-passkey] button');
  await page.waitForURL(`${origin}/console`);
  // What the core lets an administrator open is in the navigation: setup and labels.
  for (const href of ['/console/setup', '/console/labels']) {
    assert.equal(await page.locator(`nav a[href="${href}"]`).count(), 1, `${href} for the administrator`);
  }
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
  // The demo's family link is for a resident with a history: the page shows it, newest first, and the CSV has
  // every record of it (the page's rows among them), oldest first.
  const titles = await page.locator('main li.row p.row-title').allTextContents();
  const shown = titles.length;
  assert.ok(shown > 0 && shown <= 100, `history rows shown: ${shown}`);
  const moment = (text) => {
    const m = text.match(/(\d+)年(\d+)月(\d+)日.*?(\d+):(\d+)/);
    assert.ok(m, `a time in words: ${text}`);
    return Number(m[1]) * 1e8 + Number(m[2]) * 1e6 + Number(m[3]) * 1e4 + Number(m[4]) * 100 + Number(m[5]);
  };
  assert.ok(moment(titles[0]) >= moment(titles[shown - 1]), `newest first: ${titles[0]} then ${titles[shown - 1]}`);
  const csv = await page.evaluate(async () => {
    const r = await fetch('/family/history.csv');
    return { type: r.headers.get('content-type'), text: await r.text(), disposition: r.headers.get('content-disposition') };
  });
  assert.match(csv.type, /text\/csv/);
  assert.match(csv.disposition, /attachment/);
  const csvRows = csv.text.split('\r\n').filter((line) => line.length > 0);
  assert.ok(csvRows.length - 1 >= shown, `the CSV has every record (${csvRows.length - 1}) the page shows (${shown})`);

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

// Whether the process `pid` has ended (gone, or a zombie its parent has not collected yet).
function ended(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function healthy() {
  try {
    return (await fetch(`${origin}/healthz`)).ok;
  } catch {
    return false;
  }
}

test("a damaged hub ledger: after a restart the console's home says so first, with what to do", async () => {
  // Stop the served demo hub and edit one byte of an old event of its own ledger (outside the newest events
  // every open rechecks: the hub starts, and its whole-ledger check at start finds it).
  const pid = Number(process.env.AZUKARI_HUB_PID);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 300 && !ended(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(ended(pid), 'the demo hub stopped');
  const store = path.join(demo, 'facility.azukari');
  assert.ok(existsSync(store));
  const edit = spawnSync('python3', ['-c', `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TRIGGER IF EXISTS events_are_append_only_no_update")
(data,) = db.execute("SELECT bytes FROM events WHERE log_index = 2").fetchone()
data = bytearray(data)
data[len(data) // 2] ^= 0x01
db.execute("UPDATE events SET bytes = ? WHERE log_index = 2", (bytes(data),))
db.commit()
print(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
`, store], { encoding: 'utf8' });
  assert.equal(edit.status, 0, edit.stderr);
  assert.ok(Number(edit.stdout) > 70, `an old event: ${edit.stdout.trim()} events`);

  const hub = spawn(bin, ['serve', '--dir', demo, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  hub.stdout.on('data', (d) => { output += d; });
  hub.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => hub.on('exit', resolve));
  try {
    for (let i = 0; i < 300 && !(await healthy()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await healthy(), `the hub serves again: ${output}`);
    for (let i = 0; i < 300 && !output.includes('ledger_damaged'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(output.includes('ledger_damaged'), `the hub's check found the edit: ${output}`);

    // The sessions ended with the hub: sign in again with the passkey.
    const { page } = state.supervisor;
    await page.goto(`${origin}/console`);
    await page.waitForURL(`${origin}/console/signin`);
    await page.click('form[data-passkey] button');
    await page.waitForURL(`${origin}/console`);
    // The alarm is stored just after the check logs it.
    for (let i = 0; i < 50 && (await page.locator('#live > .notice.error').count()) === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await page.reload();
    }
    const first = page.locator('#live > .notice').first();
    assert.equal(await first.getAttribute('class'), 'notice error');
    assert.equal(await first.getAttribute('role'), 'alert');
    const text = await first.textContent();
    assert.ok(text.includes('ハブの台帳の検証に失敗しました'), text);
    assert.ok(text.includes('証明データを書き出して') && text.includes('システムの担当者に連絡'), `what to do: ${text}`);
    await captureBoth(page, 'console-home-ledger-damaged');
    await page.goto(`${origin}/lang/en?back=/console`);
    assert.ok((await page.locator('#live > .notice').first().textContent()).includes("The hub's ledger failed verification"));
    await page.goto(`${origin}/lang/ja?back=/console`);
  } finally {
    hub.kill('SIGTERM');
    await exited;
  }
});

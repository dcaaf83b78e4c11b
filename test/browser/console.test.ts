import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildConsole, CONSOLE_DIST } from '../../console/build.js';
import { type IdentityProvider, LOCAL_USERS, startIdentityProvider } from '../../dev/identity-provider.js';
import { localTokenDeps } from '../../dev/local-tokens.js';
import { personTrust } from '../../functions/access/person-credential.js';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { deploymentConfig } from '../../functions/deployment-config.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { freshDeps, startGateway } from '../support/dynamodb.js';
import { flushUsage } from '../../functions/usage/usage-counts.js';

/**
 * The console in a real browser: Debian's Chromium driven by playwright-core, against the local
 * gateway and the development identity provider, as `npm start` runs them. Screenshots of every
 * page go to test-output/console/ (git-ignored) for a reviewer to look at.
 */
const CHROMIUM = '/usr/bin/chromium';
// TOOLCHAIN.md: as root, without the networking flags Chromium floods refused connections.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = resolve(import.meta.dirname, '../../test-output/console');
const [ADMIN, USER] = LOCAL_USERS as [(typeof LOCAL_USERS)[number], (typeof LOCAL_USERS)[number]];

let deps: Deps;
let gateway: { url: string; close(): Promise<void> };
let idp: IdentityProvider;
let browser: Browser;
let tmp: string;
const timings: Record<string, number> = {};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)`);
  await buildConsole();
  await mkdir(SHOTS, { recursive: true });
  tmp = await mkdtemp(join(tmpdir(), 'keygate-console-'));
  deps = await freshDeps();
  gateway = await startGateway(deps);
  idp = await startIdentityProvider({ host: '127.0.0.1', port: 0, consoleUrl: `${gateway.url}/console` });
  // The gateway holds this very object: from here on it serves the console and trusts the provider.
  deps.tokens = localTokenDeps(gateway.url, { path: join(tmp, 'signing-keys.json') });
  deps.people = personTrust(idp.issuer, idp.clientId, deploymentConfig.people);
  deps.consoleAssets = CONSOLE_DIST;
  await mintAdminKey(deps);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await idp?.close();
  await gateway?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  if (Object.keys(timings).length) console.log(`console timings (ms): ${JSON.stringify(timings)}`);
});

async function signedIn(user: (typeof LOCAL_USERS)[number], shots = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${gateway.url}/console`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Email').fill(user.email);
  if (shots) await page.screenshot({ path: join(SHOTS, '01-sign-in.png') });
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();
  await page.getByTestId('keys-table').locator('tbody tr').first().waitFor();
  // Time to first render of the Keys page: from the start of the page load that finished the
  // sign-in (the redirect back with the code) to the table drawn with data.
  const rendered = await page.evaluate(() => performance.getEntriesByName('keys-rendered')[0]?.startTime ?? -1);
  timings[`keys first render, ${user.email}`] = Math.round(rendered);
  expect(errors, 'no script errors and no CSP violations').toEqual([]);
  return { context, page };
}

/** playwright-core has no auto-waiting expect (that is @playwright/test's): retry the check instead. */
const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 5_000, interval: 50 });
const text = async (locator: Locator) => (await locator.textContent()) ?? '';

const row = (page: Page, name: string) => page.getByTestId('keys-table').locator('tbody tr', { has: page.getByRole('rowheader', { name, exact: true }) });

describe('the console in Chromium', () => {
  it('an admin signs in, makes a channel, creates a scoped key with a notification, copies its secret, resets it and deletes it', async () => {
    const started = performance.now();
    const { context, page } = await signedIn(ADMIN, true);
    await eventually(async () => expect(await text(page.getByTestId('who'))).toContain(`${ADMIN.email} · admin`));
    await page.screenshot({ path: join(SHOTS, '02-keys-empty.png') });

    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByLabel('Name').fill('ops-desk');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByRole('rowheader', { name: 'ops-desk' }).waitFor();
    await page.screenshot({ path: join(SHOTS, '03-channels.png') });

    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('button', { name: 'New key' }).click();
    const form = page.getByTestId('key-form');
    await form.getByLabel('Name').fill('siem-export');
    await form.getByLabel('Description').fill('Nightly export to the SIEM');
    await form.getByLabel('Owner').fill('alice@example.com');
    expect(await form.getByLabel('Expiry period').inputValue()).toBe('180');
    await form.getByLabel('Expiry period').selectOption('90');
    await form.getByLabel('Role cloud-account-viewer').check();
    await form.getByLabel('Only these:').check();
    await form.getByLabel('cloud-account-viewer: cloud account ids, separated by commas').fill('acct-1, acct-2');
    await form.getByLabel('alerts read', { exact: true }).check();
    await eventually(async () => expect(await form.getByLabel('audit-log write').count()).toBe(0));
    await eventually(async () => expect(await form.getByLabel('oauth read').count()).toBe(0));
    await form.getByLabel('Notify before the key expires').check();
    const notifyAt = await page.evaluate(() => {
      const at = new Date(Date.now() + 60 * 86_400_000);
      return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    });
    await form.getByLabel(/^Time/).fill(notifyAt);
    await form.getByLabel('Channel', { exact: true }).selectOption({ label: 'ops-desk (operator)' });
    await page.screenshot({ path: join(SHOTS, '04-new-key.png'), fullPage: true });
    await form.getByRole('button', { name: 'Create key' }).click();

    const shown = page.getByTestId('shown-once');
    await shown.waitFor();
    const keyId = (await shown.getByTestId('shown-key-id').textContent()) ?? '';
    const secret = (await shown.getByTestId('shown-secret').textContent()) ?? '';
    expect(secret).toMatch(new RegExp(`^kg_${keyId}_`));
    await eventually(async () => expect(await text(shown.getByTestId('shown-token-endpoint'))).toBe(`${gateway.url}/oauth/token`));
    // Closing before anything was copied asks first.
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.getByRole('button', { name: 'Close without copying' }).waitFor({ state: 'visible' });
    await page.screenshot({ path: join(SHOTS, '05-shown-once-confirm.png') });
    await shown.getByRole('button', { name: 'Go back' }).click();
    await shown.getByRole('button', { name: 'Copy secret' }).click();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(secret);
    await shown.getByRole('button', { name: 'Done' }).click();
    await eventually(async () => expect(await shown.count()).toBe(0));

    // The copied secret works: it buys an access token.
    const token = await fetch(`${gateway.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${keyId}:${secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);

    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).click();
    const line = row(page, 'siem-export');
    await line.waitFor();
    const cells = await line.locator('td').allTextContents();
    // Description, owner, grants, created, last used, expires, details, notification, actions.
    expect(cells[0]).toBe('Nightly export to the SIEM');
    expect(cells[1]).toBe('alice@example.com');
    expect(cells[2]).toContain('cloud-account-viewer (acct-1, acct-2)');
    expect(cells[2]).toContain('alerts:read');
    expect(cells[3]).not.toBe('—');
    expect(cells[4]).not.toBe('Never');
    expect(cells[5]).not.toBe('No fixed expiry');
    expect(cells[6]).toMatch(/^Expires on .+: the fixed expiry comes before the inactivity limit$/);
    expect(cells[7]).toMatch(/via ops-desk \(scheduled\)/);
    expect(cells[8]).toContain('Reset secret');
    await eventually(async () => expect(await text(page.locator('#last-used-note'))).toContain('at most once a minute'));
    await page.screenshot({ path: join(SHOTS, '06-keys.png') });

    await line.getByRole('button', { name: 'Reset the secret of siem-export' }).click();
    const reset = page.getByTestId('reset-dialog');
    await reset.getByLabel(/Grace period/).selectOption('PT1H');
    await page.screenshot({ path: join(SHOTS, '07-reset.png') });
    await reset.getByRole('button', { name: 'Reset secret' }).click();
    await shown.waitFor();
    const newSecret = (await shown.getByTestId('shown-secret').textContent()) ?? '';
    expect(newSecret).not.toBe(secret);
    expect(await shown.getByTestId('shown-key-id').textContent()).toBe(keyId);
    await shown.getByRole('button', { name: 'Copy secret' }).click();
    await shown.getByRole('button', { name: 'Done' }).click();

    await line.getByRole('button', { name: 'Edit siem-export' }).click();
    const edit = page.getByTestId('key-form');
    expect(await edit.getByLabel('Name').inputValue()).toBe('siem-export');
    await edit.getByLabel('Description').fill('Nightly export to the SIEM, edited');
    await edit.getByRole('button', { name: 'Save' }).click();
    await eventually(async () => expect(await text(line.locator('td').first())).toBe('Nightly export to the SIEM, edited'));

    // The usage counts this process holds reach the table (as they do within usage.flushIntervalSeconds).
    await flushUsage(deps);
    await line.getByRole('button', { name: 'Delete siem-export' }).click();
    const del = page.getByTestId('delete-dialog');
    await eventually(async () => expect(await text(del.getByTestId('delete-last-used'))).not.toBe('never'));
    // Its one token exchange above.
    await eventually(async () => expect(await text(del.getByTestId('delete-usage'))).toBe('1 allowed, 0 refused'));
    await page.screenshot({ path: join(SHOTS, '08-delete.png') });
    await del.getByRole('button', { name: 'Delete key' }).click();
    await eventually(async () => expect(await del.count()).toBe(0));
    await eventually(async () => expect(await text(line.locator('td').nth(6))).toMatch(/^Deleted on /));

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-table').getByRole('rowheader', { name: 'key.delete' }).waitFor();
    await eventually(async () => expect(await text(page.getByTestId('audit-table').locator('tbody tr').first())).toContain(`${ADMIN.email} (signed in)`));
    await page.screenshot({ path: join(SHOTS, '09-audit.png') });
    await page.getByRole('link', { name: 'Operator messages' }).click();
    await page.getByRole('heading', { name: 'Operator messages' }).waitFor();
    await page.screenshot({ path: join(SHOTS, '10-operator-messages.png') });
    await context.close();
    timings['admin journey'] = Math.round(performance.now() - started);
  }, 60_000);

  it('a regular user sees and manages only their own keys, and cannot pick a grant they do not hold', async () => {
    const started = performance.now();
    const { context, page } = await signedIn(USER);
    await eventually(async () => expect(await text(page.getByTestId('who'))).toContain(`${USER.email} · your own keys`));
    await eventually(async () => expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0));
    await eventually(async () => expect(await page.getByRole('columnheader', { name: 'Owner' }).count()).toBe(0));
    await eventually(async () => expect(await row(page, 'siem-export').count()).toBe(0));

    await page.getByRole('button', { name: 'New key' }).click();
    const form = page.getByTestId('key-form');
    await eventually(async () => expect(await form.getByLabel('Owner').count()).toBe(0));
    expect(await form.getByLabel('alerts read (you do not hold it)').isDisabled()).toBe(true);
    expect(await form.getByLabel('Role global-admin').isDisabled()).toBe(true);
    await form.getByLabel('Name').fill('my-script');
    await form.getByLabel('keys read', { exact: true }).check();
    await form.getByLabel('Custom: in').check();
    await form.getByLabel('Custom number of days').fill('400');
    await form.getByRole('button', { name: 'Create key' }).click();
    await eventually(async () => expect(await text(form.locator('#expiry-error'))).toContain('At most'));
    await form.getByLabel('Custom number of days').fill('14');
    await page.screenshot({ path: join(SHOTS, '11-user-new-key.png'), fullPage: true });
    await form.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('shown-once');
    await shown.getByRole('button', { name: 'Copy key id' }).click();
    await shown.getByRole('button', { name: 'Done' }).click();
    const line = row(page, 'my-script');
    await line.waitFor();
    await eventually(async () => expect(await text(line.locator('td').nth(1))).toContain('keys:read'));

    // The same name again is refused by keygate: the message shows next to the name.
    await page.getByRole('button', { name: 'New key' }).click();
    await form.getByLabel('Name').fill('my-script');
    await form.getByLabel('keys read', { exact: true }).check();
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.locator('#name-error').waitFor({ state: 'visible' });
    await page.screenshot({ path: join(SHOTS, '12-user-error.png') });
    await form.getByRole('button', { name: 'Cancel' }).click();
    await page.screenshot({ path: join(SHOTS, '13-user-keys.png') });

    // Suspend with a reason: refused until resumed; the row says why, and offers Resume only.
    await line.getByRole('button', { name: 'Suspend my-script' }).click();
    const suspend = page.getByTestId('suspend-dialog');
    await suspend.getByLabel(/Reason/).fill('laptop stolen');
    await suspend.getByRole('button', { name: 'Suspend key' }).click();
    await eventually(async () => expect(await text(line.locator('td').nth(5))).toMatch(/^Suspended \(refused until resumed\).* Reason: laptop stolen$/));
    expect(await line.getByRole('button', { name: 'Rotate my-script' }).count()).toBe(0);
    await line.getByRole('button', { name: 'Resume my-script' }).click();
    await page.getByTestId('resume-dialog').getByRole('button', { name: 'Resume key' }).click();
    await eventually(async () => expect(await text(line.locator('td').nth(5))).toMatch(/^(Will expire|Expires) on /));

    // Rotate with an hour's overlap: the successor's secret is shown once; the old row names it.
    const oldId = (await line.getAttribute('data-key-id')) ?? '';
    await line.getByRole('button', { name: 'Rotate my-script' }).click();
    const rotate = page.getByTestId('rotate-dialog');
    await rotate.getByLabel(/keeps working for/).selectOption('PT1H');
    await rotate.getByRole('button', { name: 'Rotate key' }).click();
    await shown.waitFor();
    const successorId = (await shown.getByTestId('shown-key-id').textContent()) ?? '';
    expect(successorId).not.toBe(oldId);
    await shown.getByRole('button', { name: 'Copy secret' }).click();
    await shown.getByRole('button', { name: 'Done' }).click();
    const old = page.locator(`tr[data-key-id="${oldId}"]`);
    await eventually(async () => expect(await text(old.locator('td').nth(5))).toContain(`Rotated: its successor is ${successorId}.`));
    await eventually(async () => expect(await page.locator(`tr[data-key-id="${successorId}"]`).count()).toBe(1));
    await page.screenshot({ path: join(SHOTS, '14-user-rotated.png') });
    await context.close();
    timings['user journey'] = Math.round(performance.now() - started);
  }, 60_000);
});

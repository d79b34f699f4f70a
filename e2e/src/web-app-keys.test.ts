// The web app in a real browser when the gateway asks for API keys: with API_KEYS alone (writes need a key)
// and with AUTH_MODE=all (every /api call does), where every page reads through the key kept in the tab.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreatedKeySchema } from '@ipp/contracts';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, watchPage } from './browser.ts';
import { jpegWithExifOrientation } from './fixtures.ts';
import { startImageServer, until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';

const HEADER = 'Serial Number,Product Name,Input Image Urls';
const csvFile = (rows: string[]) => ({
  name: 'products.csv',
  mimeType: 'text/csv',
  buffer: Buffer.from([HEADER, ...rows].join('\r\n')),
});

/** An image source that answers `/held.jpg` only once the test lets it, so a request stays unfinished until then. */
async function startHeldImage(body: Buffer) {
  const { promise: held, resolve: release } = Promise.withResolvers<void>();
  const server = createServer(async (request, response) => {
    if (request.url !== '/held.jpg') return void response.writeHead(404).end('not found');
    await held;
    response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/held.jpg`,
    release,
    close: () => {
      release();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the web app when the gateway asks for API keys', () => {
  const KEY = 'web-test-key-0123456789';
  let stack: Stack;
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let browser: Browser;

  beforeAll(async () => {
    images = await startImageServer({
      '/desk.jpg': { body: await jpegWithExifOrientation(400, 300), type: 'image/jpeg' },
    });
    stack = await startStack({
      label: 'e2e_web_keys',
      services: ['product', 'upload', 'image-worker', 'web', 'gateway'],
      env: { API_KEYS: KEY },
    });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await images?.close();
  });

  it('uploads only once a key is given, keeps it in the tab alone, and sends it with the upload', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    try {
      const page = await context.newPage();
      const upload = async () => {
        await page.goto(`${stack.gatewayUrl}/`);
        await page.locator('#file').setInputFiles(csvFile([`KEY-1,Cedar Box,${images.url}/desk.jpg`]));
        await page.getByRole('button', { name: 'Upload' }).click();
      };
      await upload();
      // The API refused it (401): the form comes back saying a key is needed, and where to give one.
      const needsKey = page.locator('#main [data-needs-key]');
      await needsKey.waitFor();
      expect(page.url()).toBe(`${stack.gatewayUrl}/`);
      await needsKey.getByRole('link', { name: 'Enter your key' }).click();
      await page.waitForURL(`${stack.gatewayUrl}/key?return=%2F`);
      await page.getByLabel('API key').fill(KEY);
      await page.getByRole('button', { name: 'Keep for this tab' }).click();
      await page.waitForURL(`${stack.gatewayUrl}/`);
      expect(await page.evaluate("sessionStorage.getItem('ipp-api-key')")).toBe(KEY);
      expect(await page.evaluate('localStorage.length')).toBe(0);
      expect((await context.cookies()).length).toBe(0);

      await upload();
      await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
      await page.locator('[data-progress-text]').filter({ hasText: '100 %' }).waitFor({ timeout: 60_000 });
      // Reads need no key here: the output CSV stays a plain link, followed without the script.
      expect(await page.getByRole('link', { name: 'Download the output CSV' }).getAttribute('href')).toMatch(
        /^\/api\/uploads\/[0-9a-f-]{36}\/output\.csv$/,
      );

      // Another tab of the same browser has no key: session storage is the tab's own.
      const other = await context.newPage();
      await other.goto(`${stack.gatewayUrl}/key`);
      expect(await other.evaluate("sessionStorage.getItem('ipp-api-key')")).toBeNull();
    } finally {
      await context.close();
    }
  }, 90_000);
});

describe('the web app with AUTH_MODE=all', () => {
  const BOOTSTRAP = 'ipp_e2eWebBootstrapAdminKey0123456';
  let stack: Stack;
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let held: Awaited<ReturnType<typeof startHeldImage>>;
  let browser: Browser;
  /** A managed key for the catalogue team: uploads and reading products, nothing else. */
  let key = '';

  beforeAll(async () => {
    const jpeg = await jpegWithExifOrientation(400, 300);
    images = await startImageServer({ '/desk.jpg': { body: jpeg, type: 'image/jpeg' } });
    held = await startHeldImage(jpeg);
    stack = await startStack({
      label: 'e2e_web_all',
      services: ['auth', 'product', 'upload', 'image-worker', 'health', 'web', 'gateway'],
      env: { AUTH_MODE: 'all', BOOTSTRAP_ADMIN_KEY: BOOTSTRAP },
    });
    // The gateway takes keys once it holds the auth service's first snapshot.
    const created = await until(async () => {
      const response = await fetch(`${stack.gatewayUrl}/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'catalogue team', scopes: ['uploads:read', 'uploads:write', 'products:read'] }),
      });
      return response.status === 201 ? CreatedKeySchema.parse(await response.json()) : undefined;
    });
    key = created.key;
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await held?.close();
    await images?.close();
  });

  /** A new tab, with what it reports: script errors and policy violations, and anything asked of another host. */
  const watched = (page: Page) => {
    const problems = watchPage(page);
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(stack.gatewayUrl) && request.resourceType() !== 'image')
        outside.push(request.url());
    });
    return { problems, outside };
  };
  const navigate = async (page: Page, label: string) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  };

  it('asks for a key on every page that reads the API, and has nothing to show without one', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    try {
      const page = await context.newPage();
      const { problems } = watched(page);
      for (const path of ['/requests', '/products', '/products/1', '/requests/00000000-0000-4000-8000-000000000000']) {
        const response = await page.goto(`${stack.gatewayUrl}${path}`);
        expect(response?.status(), path).toBe(401);
        const panel = page.locator('#main [data-needs-key]');
        expect(await panel.getByRole('heading').textContent(), path).toBe('This needs an API key');
        expect(await panel.getByRole('link', { name: 'Enter your key' }).getAttribute('href'), path).toBe(
          `/key?return=${encodeURIComponent(path)}`,
        );
      }
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('once a key is given: uploads, follows the request to 100 % live, downloads its output CSV, and opens requests, products, a product and health', async () => {
    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    try {
      const page = await context.newPage();
      const { problems, outside } = watched(page);
      await page.goto(`${stack.gatewayUrl}/requests`);
      await page.locator('#main [data-needs-key]').getByRole('link', { name: 'Enter your key' }).click();
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Keep for this tab' }).click();
      await page.waitForURL(`${stack.gatewayUrl}/requests`);
      await page.getByText('No uploads yet.').waitFor();

      await navigate(page, 'Upload');
      const streamOpened = page.waitForResponse((response) => response.url().endsWith('/events'), { timeout: 60_000 });
      await page
        .locator('#file')
        .setInputFiles(
          csvFile([`ALL-1,Cedar Box,"${images.url}/desk.jpg,${held.url}"`, `ALL-2,Elm Tray,${images.url}/missing.jpg`]),
        );
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
      const requestId = page.url().split('/').at(-1) ?? '';
      // The stream is read with the key; one image is held back, so the request is still going.
      const stream = await streamOpened;
      expect(stream.status()).toBe(200);
      expect(stream.request().headers().authorization).toBe(`Bearer ${key}`);
      await page.evaluate('window.sameDocument = true');
      expect(await page.locator('[data-progress-text]').textContent()).not.toBe('100 %');
      held.release();
      await page.locator('[data-progress-text]').filter({ hasText: '100 %' }).waitFor({ timeout: 60_000 });
      expect(await page.evaluate('window.sameDocument')).toBe(true);
      await expect.poll(() => page.locator('.item-done').count()).toBe(2);
      expect(await page.locator('.item-failed').count()).toBe(1);

      // The output CSV needs the key too: a plain link would be refused.
      const link = page.getByRole('link', { name: 'Download the output CSV' });
      const csvUrl = `${stack.gatewayUrl}/api/uploads/${requestId}/output.csv`;
      expect(`${stack.gatewayUrl}${await link.getAttribute('href')}`).toBe(csvUrl);
      expect((await fetch(csvUrl)).status).toBe(401);
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      expect(download.suggestedFilename()).toBe(`${requestId}.csv`);
      const csv = (await readFile((await download.path()) ?? '', 'utf8')).split(/\r?\n/);
      expect(csv[0]).toBe(`${HEADER},Output Image Urls`);
      expect(csv.find((line) => line.startsWith('ALL-1,Cedar Box,'))).toMatch(
        /\/files\/outputs\/[^,]+,[^"]*\/files\/outputs\//,
      );
      expect(csv.find((line) => line.startsWith('ALL-2,Elm Tray,'))).toBeDefined();

      await navigate(page, 'Requests');
      const requestLink = page.locator(`table.requests a[href="/requests/${requestId}"]`);
      await requestLink.waitFor();
      expect(await page.locator('table.requests tbody tr').count()).toBe(1);
      await requestLink.click();
      await page.waitForURL(`${stack.gatewayUrl}/requests/${requestId}`);
      await page.getByRole('link', { name: 'Download the output CSV' }).waitFor();
      expect(await page.locator('[data-progress-text]').textContent()).toBe('100 %');

      await navigate(page, 'Products');
      await page.locator('.product-card').first().waitFor();
      await page.getByLabel('Search by name or serial number').fill('cedar');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/search=cedar/);
      const card = page.locator('.product-card').filter({ hasText: 'Cedar Box' });
      await card.waitFor();
      expect(await page.locator('.product-card').count()).toBe(1);
      await card.getByRole('link', { name: 'Cedar Box' }).click();
      await page.waitForURL(/\/products\/\d+$/);
      await page.locator('h1').filter({ hasText: 'Cedar Box' }).waitFor();
      await expect.poll(() => page.title()).toBe('Cedar Box · Image Processing Platform');
      expect(await page.locator('.image-card img').count()).toBe(2);
      await page.locator('.image-card').first().getByRole('link', { name: 'request' }).click();
      await page.waitForURL(`${stack.gatewayUrl}/requests/${requestId}`);
      await page.getByRole('link', { name: 'Download the output CSV' }).waitFor();

      await navigate(page, 'Health');
      await page.waitForURL(`${stack.gatewayUrl}/status`);
      expect(await page.locator('table.services tbody th').allTextContents()).toEqual([
        'gateway',
        'product',
        'upload',
        'image worker',
        'web',
        'auth',
      ]);
      expect(outside).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});

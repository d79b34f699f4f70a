// The web app in a real browser, through the gateway of a whole stack: upload, watch, browse, check health,
// read the API reference; at desktop and phone width, with and without JavaScript. Then the web app as a
// deployable: its probes, metrics and spans.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, PHONE, watchPage } from './browser.ts';
import { jpegWithExifOrientation, pngWithAlpha } from './fixtures.ts';
import { startImageServer, until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';
import { parentOf, type ReceivedSpan, startOtlpReceiver } from './tracing-receiver.ts';

const HEADER = 'Serial Number,Product Name,Input Image Urls';

/** Each image's box in the page (not the viewport), to compare before and after the images arrive. */
const IMAGE_BOXES = `[...document.querySelectorAll('main img')].map((image) => {
  const box = image.getBoundingClientRect();
  return [box.left + scrollX, box.top + scrollY, box.width, box.height].map(Math.round).join(' ');
})`;

/** Marks the focused element as reached and says whether its focus is drawn (an outline, or the focus colour). */
const FOCUS_STATE = `(() => {
  const element = document.activeElement;
  element.dataset.reached = '';
  const style = getComputedStyle(element);
  return {
    name: element.tagName + ' ' + (element.textContent || element.id).trim().slice(0, 40),
    shown: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.backgroundColor === 'rgb(255, 221, 0)',
  };
})()`;
const CELLS_OFF_SCREEN = `[...document.querySelectorAll('main th, main td')]
  .filter((cell) => cell.getBoundingClientRect().right > innerWidth)
  .map((cell) => cell.textContent.trim())`;
const CONTROLS = `[...document.querySelectorAll('a[href], input:not([type="hidden"]), select, button, summary')]
  .filter((element) => element.checkVisibility()).length`;

describe('the web app in a real browser', () => {
  let stack: Stack;
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let browser: Browser;
  let context: BrowserContext;
  /** The request the first test uploads through the page. */
  let firstRequestId = '';

  const csvFile = (rows: string[]) => ({
    name: 'products.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from([HEADER, ...rows].join('\r\n')),
  });
  const open = async (path: string, options: { viewport?: typeof DESKTOP } = {}) => {
    const page = await context.newPage();
    if (options.viewport) await page.setViewportSize(options.viewport);
    const problems = watchPage(page);
    /** What the page asked of another host, images aside (an original is wherever its CSV pointed). */
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(stack.gatewayUrl) && request.resourceType() !== 'image')
        outside.push(request.url());
    });
    const response = await page.goto(`${stack.gatewayUrl}${path}`);
    return { page, problems, outside, response };
  };
  const uploadThroughPage = async (page: Page, rows: string[]) => {
    await page.locator('#file').setInputFiles(csvFile(rows));
    await page.getByRole('button', { name: 'Upload' }).click();
  };

  beforeAll(async () => {
    images = await startImageServer({
      '/desk.jpg': { body: await jpegWithExifOrientation(1600, 1200), type: 'image/jpeg' },
      '/chair.png': { body: await pngWithAlpha(800, 600), type: 'image/png' },
    });
    stack = await startStack({
      label: 'e2e_web',
      services: ['product', 'upload', 'image-worker', 'health', 'web', 'gateway'],
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await images?.close();
  });

  it('uploads a CSV through the page, follows it to 100 % without a reload, shows the thumbnails and downloads the output CSV', async () => {
    const { page, problems } = await open('/');
    const streamOpened = page.waitForResponse((response) => response.url().endsWith('/events'), { timeout: 60_000 });
    await uploadThroughPage(page, [
      `WEB-1,Walnut Desk,${images.url}/desk.jpg`,
      `WEB-2,Oak Chair,"${images.url}/chair.png,${images.url}/missing.jpg"`,
    ]);
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    firstRequestId = page.url().split('/').at(-1) ?? '';
    const stream = await streamOpened;
    expect(stream.status()).toBe(200);
    expect(stream.headers()['content-type']).toMatch(/^text\/event-stream/);
    // A mark on this document: a reload or a navigation would lose it.
    await page.evaluate('window.sameDocument = true');
    await page.locator('[data-progress-text]').filter({ hasText: '100 %' }).waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: 'Download the output CSV' }).waitFor();
    expect(await page.evaluate('window.sameDocument')).toBe(true);

    await expect.poll(() => page.locator('.tag-done').count()).toBe(2);
    const processed = page.locator('.item-done img[alt^="Processed"]');
    expect(await processed.count()).toBe(2);
    for (const image of await processed.all()) {
      await image.scrollIntoViewIfNeeded();
      await expect
        .poll(() => image.evaluate((element) => (element as { naturalWidth: number }).naturalWidth))
        .toBeGreaterThan(0);
      expect(await image.getAttribute('width')).toBe('160');
      expect(await image.getAttribute('loading')).toBe('lazy');
    }
    expect(await page.locator('.item-done .saving').first().textContent()).toMatch(/\d+ % (saved|larger)/);
    const failed = page.locator('.item-failed');
    expect(await failed.count()).toBe(1);
    expect(await failed.locator('.item-error').textContent()).toContain('The image was not found at its URL.');
    // Where there is no image, its box says so, at the size of a thumbnail, so nothing moves when one comes.
    expect(await failed.locator('.placeholder').allTextContents()).toEqual([
      'Original not fetched',
      'No processed image',
    ]);
    const thumbnail = await processed.first().boundingBox();
    const missing = await failed.locator('.placeholder').last().boundingBox();
    expect([missing?.width, missing?.height]).toEqual([thumbnail?.width, thumbnail?.height]);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download the output CSV' }).click(),
    ]);
    const csv = await readFile((await download.path()) ?? '', 'utf8');
    expect(csv.split(/\r?\n/)[0]).toBe(`${HEADER},Output Image Urls`);
    expect(csv).toContain('WEB-1,Walnut Desk');
    expect(csv).toMatch(/\/files\/outputs\//);
    expect(problems).toEqual([]);
  }, 90_000);

  it('shows the error of a bad row against that row, with a summary that links to it', async () => {
    const { page, problems } = await open('/');
    await uploadThroughPage(page, [`WEB-3,Pine Shelf,${images.url}/desk.jpg`, `WEB-4,,${images.url}/desk.jpg`]);
    const row = page.locator('#row-3');
    await row.waitFor();
    expect(await row.textContent()).toContain('Product Name');
    expect(await row.textContent()).toContain('is required');
    expect(await row.textContent()).toContain('WEB-4');
    await expect.poll(() => page.evaluate('document.activeElement?.className')).toBe('error-summary');
    expect(((await page.evaluate(FOCUS_STATE)) as { shown: boolean }).shown, 'focus drawn on the summary').toBe(true);
    expect(await page.locator('.error-summary a[href="#row-3"]').count()).toBe(1);
    expect(await page.locator('#row-2').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('searches products by part of a name and opens one', async () => {
    const { page } = await open('/products');
    await page.getByLabel('Search by name or serial number').fill('walnut');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/search=walnut/);
    const cards = page.locator('.product-card');
    expect(await cards.count()).toBe(1);
    expect(await cards.locator('.thumbs img').count()).toBe(1);
    await cards.getByRole('link', { name: 'Walnut Desk' }).click();
    await page.waitForURL(/\/products\/\d+$/);
    expect(await page.locator('h1').textContent()).toBe('Walnut Desk');
    expect(await page.locator('.image-card img').count()).toBe(1);
    await page.goBack();
    await page.waitForURL(/search=walnut/);
  });

  it.each([
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ])(
    'keeps every thumbnail in its box while the images load, at %s width',
    async (_, viewport) => {
      const products = (await (await fetch(`${stack.gatewayUrl}/api/products?search=WEB-1`)).json()) as {
        items: { id: number }[];
      };
      for (const path of [
        `/requests/${firstRequestId}`,
        '/products?search=walnut',
        `/products/${products.items[0]?.id}`,
      ]) {
        const page = await context.newPage();
        await page.setViewportSize(viewport);
        // Every image is held until the page has been laid out without it.
        const { promise: held, resolve: release } = Promise.withResolvers<void>();
        await page.route(
          (url) => url.pathname.startsWith('/files/') || url.origin === images.url,
          async (route) => {
            await held;
            await route.continue();
          },
        );
        await page.goto(`${stack.gatewayUrl}${path}`);
        const before = await page.evaluate(IMAGE_BOXES);
        expect((before as string[]).length, path).toBeGreaterThan(0);
        release();
        for (const image of await page.locator('main img').all()) {
          await image.scrollIntoViewIfNeeded();
          await expect
            .poll(() => image.evaluate((element) => (element as { naturalWidth: number }).naturalWidth))
            .toBeGreaterThan(0);
          expect(await image.getAttribute('loading')).toBe('lazy');
        }
        expect(await page.evaluate(IMAGE_BOXES), path).toEqual(before);
        await page.close();
      }
    },
    60_000,
  );

  it('takes image files dropped on the page with a serial number and name, and shows the upload progress', async () => {
    const { page, problems } = await open('/');
    const image = await pngWithAlpha(1200, 900);
    const dropped = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob('${image.toString('base64')}'), (char) => char.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'stool.png', { type: 'image/png' }));
      return transfer;
    })()`);
    await page.locator('[data-drop-zone]').dispatchEvent('drop', { dataTransfer: dropped });
    expect(
      await page.locator('#images').evaluate((input) => (input as { files: { length: number } }).files.length),
    ).toBe(1);
    await page.getByLabel('Serial number').fill('WEB-6');
    await page.getByLabel('Product name').fill('Ash Stool');
    // The progress text, kept in the tab's session storage: the page moves on to the request once sent.
    await page.evaluate(`{
      const text = document.querySelector('[data-upload-text]');
      new MutationObserver(() => sessionStorage.setItem('upload-progress', text.textContent)).observe(text, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    }`);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    expect(await page.evaluate("sessionStorage.getItem('upload-progress')")).toMatch(/^100 % of \d+\.\d MB$/);
    await page.locator('[data-progress-text]').filter({ hasText: '100 %' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('.item-done h3').textContent()).toContain('Ash Stool');
    expect(await page.locator('.item-done img[alt="Processed Ash Stool"]').count()).toBe(1);
    expect(problems).toEqual([]);
  }, 90_000);

  it('pages through the requests newest first, and through a search of products, each page a URL', async () => {
    const newest = (await (await fetch(`${stack.gatewayUrl}/api/uploads?per_page=2`)).json()) as {
      items: { request_id: string }[];
    };
    const { page } = await open('/requests?per_page=1');
    const firstLink = () => page.locator('table.requests tbody a').first().getAttribute('href');
    expect(await firstLink()).toBe(`/requests/${newest.items[0]?.request_id}`);
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/\/requests\?page=2&per_page=1$/);
    expect(await firstLink()).toBe(`/requests/${newest.items[1]?.request_id}`);
    expect(await page.locator('.pagination').textContent()).toContain('Page 2 of');
    await page.goBack();
    await page.waitForURL(/\/requests\?per_page=1$/);
    expect(await firstLink()).toBe(`/requests/${newest.items[0]?.request_id}`);

    await page.goto(`${stack.gatewayUrl}/products?search=web-&per_page=1`);
    const shown = () => page.locator('.product-card h2').textContent();
    const first = await shown();
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/page=2/);
    expect(new URL(page.url()).searchParams.get('search')).toBe('web-');
    expect(await shown()).not.toBe(first);
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.waitForURL(/page=1/);
    expect(await shown()).toBe(first);
  });

  it('shows every service on the health page, and refreshes it', async () => {
    const { page, problems } = await open('/status');
    const services = page.locator('table.services tbody th');
    expect(await services.allTextContents()).toEqual(['gateway', 'product', 'upload', 'image worker', 'web']);
    const checked = await page.locator('#health-live .hint').first().textContent();
    await expect
      .poll(() => page.locator('#health-live .hint').first().textContent(), { timeout: 15_000 })
      .not.toBe(checked);
    expect(await page.locator('table.queues tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('meter').count()).toBe(3);
    expect(problems).toEqual([]);
  });

  it('renders the API reference from this origin under its Content-Security-Policy', async () => {
    const { page, problems, response } = await open('/api/docs');
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(stack.gatewayUrl)) outside.push(request.url());
    });
    const sidebar = page.locator('nav, aside').filter({ hasText: 'List products' }).first();
    await sidebar.waitFor({ timeout: 60_000 });
    for (const operation of ['List products', 'Create a product', 'Get a product']) {
      await page.getByText(operation, { exact: true }).first().waitFor({ state: 'visible' });
    }
    const title = page.getByRole('heading', { name: 'Image Processing Platform' }).first();
    await title.waitFor({ state: 'visible' });
    // One reference, laid out from the top: no loading placeholder left above it.
    await expect.poll(() => page.locator('.introduction-loading').count(), { timeout: 30_000 }).toBe(0);
    expect((await title.boundingBox())?.y).toBeLessThan(DESKTOP.height);
    // Scalar's own services are not offered: they would call scalar.com, which the policy rightly refuses.
    const offered: Record<string, number> = {};
    for (const name of ['Ask AI', 'Generate SDK', 'Deploy', 'Share']) {
      offered[name] = await page.getByRole('button', { name }).or(page.getByRole('link', { name })).count();
    }
    expect(offered).toEqual({ 'Ask AI': 0, 'Generate SDK': 0, Deploy: 0, Share: 0 });
    expect(outside).toEqual([]);
    expect(problems.filter((text) => text.includes('Content Security Policy'))).toEqual([]);
  }, 90_000);

  it('escapes what the API returns and sends a strict policy with every page', async () => {
    const name = '<img src=x onerror="document.title=1">Lamp';
    const created = await fetch(`${stack.gatewayUrl}/api/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ serial_number: 'WEB-XSS', name }),
    });
    const { id } = (await created.json()) as { id: number };
    const { page, response } = await open(`/products/${id}`);
    expect(await page.locator('h1').textContent()).toBe(name);
    expect(await page.locator('h1 img').count()).toBe(0);
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe');
  });

  it.each([
    ['/', 'Upload products and images'],
    ['/requests', 'Requests'],
    ['/products', 'Products'],
    ['/status', 'Health'],
  ])(
    'fits %s at phone width, reaches every control by keyboard with its focus drawn, and labels every input',
    async (path, heading) => {
      const { page, problems, outside } = await open(path, { viewport: PHONE });
      expect(await page.locator('h1').textContent()).toBe(heading);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
      // No column is left off the screen in a box that scrolls sideways (which the line above would miss).
      expect(await page.evaluate(CELLS_OFF_SCREEN)).toEqual([]);
      const controls = Number(await page.evaluate(CONTROLS));
      const reached: string[] = [];
      for (let stop = 0; stop < controls; stop += 1) {
        await page.keyboard.press('Tab');
        const focus = (await page.evaluate(FOCUS_STATE)) as { name: string; shown: boolean };
        expect(focus.shown, `focus drawn on ${focus.name}`).toBe(true);
        reached.push(focus.name);
      }
      expect(reached[0]).toBe('A Skip to content');
      expect(await page.locator('[data-reached]').count()).toBe(controls);
      for (const input of await page.locator('input:not([type="hidden"]), select').all()) {
        const id = await input.getAttribute('id');
        expect(await page.locator(`label[for="${id}"]`).count(), `label for #${id}`).toBe(1);
      }
      expect(outside).toEqual([]);
      expect(problems).toEqual([]);
    },
  );

  it('works without JavaScript: the form uploads, and the request, requests, products, product and health pages read', async () => {
    const noScript = await browser.newContext({ viewport: DESKTOP, javaScriptEnabled: false });
    try {
      const page = await noScript.newPage();
      await page.goto(`${stack.gatewayUrl}/`);
      await page.locator('#file').setInputFiles(csvFile([`WEB-5,Birch Stool,${images.url}/desk.jpg`]));
      await page.getByText('Processing options').click();
      await page.getByLabel('Quality').fill('80');
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
      const requestId = page.url().split('/').at(-1) ?? '';
      await until(
        async () => {
          const status = (await (await fetch(`${stack.gatewayUrl}/api/uploads/${requestId}`)).json()) as {
            status: string;
          };
          return status.status === 'completed' || undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      await page.reload();
      expect(await page.locator('[data-progress-text]').textContent()).toBe('100 %');
      expect(await page.locator('.item-done').count()).toBe(1);
      await page.goto(`${stack.gatewayUrl}/requests`);
      expect(await page.locator(`a[href="/requests/${requestId}"]`).count()).toBe(1);
      await page.goto(`${stack.gatewayUrl}/products?search=birch`);
      await page.getByRole('link', { name: 'Birch Stool' }).click();
      expect(await page.locator('.image-card img').count()).toBe(1);
      await page.goto(`${stack.gatewayUrl}/status`);
      expect(await page.locator('table.services tbody th').count()).toBe(5);
    } finally {
      await noScript.close();
    }
  }, 90_000);
});

describe('the web app as a deployable', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let stack: Stack;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startStack({
      label: 'e2e_web_traces',
      services: ['product', 'web', 'gateway'],
      env: receiver.env,
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('is ready with no health aggregator behind the gateway, counts its pages in /metrics, and carries the visitor’s trace on to the API', async () => {
    const webApp = stack.env.WEB_APP_URL;
    // This stack runs no health aggregator: the gateway answers the web app's probe with a 502 of its own.
    expect((await fetch(`${stack.gatewayUrl}/health/live`)).status).toBe(502);
    for (const probe of ['/health/live', '/health/ready']) expect((await fetch(`${webApp}${probe}`)).status).toBe(200);

    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(`${stack.gatewayUrl}/products`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(response.status).toBe(200);
    const server = (spans: ReceivedSpan[], service: string, name: string) =>
      spans.find((span) => span.service === service && span.kind === 'server' && span.name === name);
    const spans = await until(() => {
      const trace = receiver.trace(traceId);
      return server(trace, 'product', 'GET /api/products') && server(trace, 'web', 'GET /products') && trace;
    });
    const page = server(spans, 'web', 'GET /products') as ReceivedSpan;
    expect(parentOf(spans, page)).toBe(server(spans, 'gateway', 'GET /products'));
    // The page's call to the API goes back through the gateway, in the same trace, below the page's span.
    const apiCall = server(spans, 'gateway', 'GET /api/products') as ReceivedSpan;
    let ancestor = parentOf(spans, apiCall);
    while (ancestor && ancestor !== page) ancestor = parentOf(spans, ancestor);
    expect(ancestor).toBe(page);
    expect(parentOf(spans, server(spans, 'product', 'GET /api/products') as ReceivedSpan)).toBe(apiCall);

    const metrics = await (await fetch(`${webApp}/metrics`)).text();
    const pageViews = metrics.split('\n').filter((line) => line.startsWith('http_requests_total{'));
    expect(
      pageViews.some(
        (line) => line.includes('route="/products"') && line.includes('service="web"') && !line.endsWith(' 0'),
      ),
    ).toBe(true);
  });
});

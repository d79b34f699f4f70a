// Writes a screenshot of every page of the web app at desktop and phone width into docs/screenshots/
// (shown in the README): `npm run screenshots`. A stack of its own, seeded with one finished upload
// (one image failing on purpose) and a refused CSV.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DESKTOP, launchBrowser, PHONE } from './browser.ts';
import { jpegWithExifOrientation, pngWithAlpha, webp } from './fixtures.ts';
import { startImageServer, until } from './servers.ts';
import { startStack } from './stack.ts';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const HEADER = 'Serial Number,Product Name,Input Image Urls';

const images = await startImageServer({
  '/desk.jpg': { body: await jpegWithExifOrientation(1600, 1200), type: 'image/jpeg' },
  '/chair.png': { body: await pngWithAlpha(800, 600), type: 'image/png' },
  '/lamp.webp': { body: await webp(900, 1200), type: 'image/webp' },
});
const stack = await startStack({
  label: 'screenshots',
  services: ['product', 'upload', 'image-worker', 'health', 'web', 'gateway'],
});
const browser = await launchBrowser();
try {
  const upload = async (rows: string[]) => {
    const form = new FormData();
    form.set('file', new Blob([[HEADER, ...rows].join('\r\n')], { type: 'text/csv' }), 'products.csv');
    const response = await fetch(`${stack.gatewayUrl}/api/upload`, { method: 'POST', body: form });
    return ((await response.json()) as { request_id: string }).request_id;
  };
  const requestId = await upload([
    `SKU-1001,Walnut Desk,"${images.url}/desk.jpg,${images.url}/lamp.webp"`,
    `SKU-1002,Oak Chair,${images.url}/chair.png`,
    `SKU-1003,Brass Lamp,${images.url}/missing.jpg`,
  ]);
  await upload([`SKU-1004,Pine Shelf,${images.url}/lamp.webp`]);
  await until(
    async () => {
      const status = (await (await fetch(`${stack.gatewayUrl}/api/uploads/${requestId}`)).json()) as {
        completed_at: string | null;
      };
      return status.completed_at ?? undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const product = (
    (await (await fetch(`${stack.gatewayUrl}/api/products?search=SKU-1001`)).json()) as { items: { id: number }[] }
  ).items[0];

  await mkdir(OUT, { recursive: true });
  const pages: [string, string][] = [
    ['upload', '/'],
    ['request', `/requests/${requestId}`],
    ['requests', '/requests'],
    ['products', '/products'],
    ['product', `/products/${product?.id}`],
    ['health', '/status'],
    ['api-docs', '/api/docs'],
  ];
  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    const page = await browser.newPage({ viewport });
    for (const [name, path] of pages) {
      await page.goto(`${stack.gatewayUrl}${path}`, { waitUntil: 'networkidle' });
      if (name === 'api-docs') {
        const title = page.getByRole('heading', { name: 'Image Processing Platform' }).first();
        await title.waitFor({ state: 'visible', timeout: 60_000 });
        await page.locator('.introduction-loading').waitFor({ state: 'detached', timeout: 60_000 });
      }
      await page.screenshot({ path: `${OUT}${name}-${size}.png`, fullPage: name !== 'api-docs' });
    }
    // The form after the API refused a CSV with a bad row.
    await page.goto(`${stack.gatewayUrl}/`);
    await page.locator('#file').setInputFiles({
      name: 'products.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        [HEADER, `SKU-2001,Teak Bench,${images.url}/desk.jpg`, `SKU-2002,,ftp://example.com/a.jpg`].join('\r\n'),
      ),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#row-3').waitFor();
    await page.screenshot({ path: `${OUT}upload-errors-${size}.png`, fullPage: true });
    await page.close();
  }
  console.log(`screenshots written to ${OUT}`);
} finally {
  await browser.close();
  await stack.stop();
  await images.close();
}

import type { Product } from '@ipp/contracts';
import type { AppEnv } from '@ipp/platform';
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { ApiClient } from '../api-client.ts';
import { callerOf } from '../caller.ts';
import { failurePanel, pagination } from '../views/components.ts';
import { layout } from '../views/layout.ts';
import { productThumbnail } from '../views/product-image.ts';

type Page<T> = { items: T[]; page: number; per_page: number; total: number; pages: number };
const THUMBNAILS_PER_PRODUCT = 4;

function productList(list: Page<Product>, search: string) {
  if (list.total === 0) {
    return html`<p>${search ? html`No product matches “${search}”.` : 'No products yet.'}</p>`;
  }
  return html`<p class="count">${list.total} product(s)${search ? html` matching “${search}”` : ''}</p>
<ul class="products">
${list.items.map(
  (product) => html`<li class="product-card">
  <h2><a href="/products/${product.id}">${product.name}</a></h2>
  <p class="serial">${product.serial_number}</p>
  <p>${product.images.length} image(s)</p>
  ${product.images.length ? html`<div class="thumbs">${product.images.slice(0, THUMBNAILS_PER_PRODUCT).map((image, index) => productThumbnail(image, `${product.name}, image ${index + 1}`, 96))}</div>` : ''}
</li>`,
)}
</ul>`;
}

/** `GET /products?search=&page=`: the API's search (name or serial number, any case, any part). */
export function mountProductsPage(app: Hono<AppEnv>, api: ApiClient) {
  app.get('/products', async (c) => {
    const search = c.req.query('search') ?? '';
    const query = new URLSearchParams({ per_page: c.req.query('per_page') ?? '12' });
    if (search) query.set('search', search);
    const page = c.req.query('page');
    if (page) query.set('page', page);
    const result = await api.get<Page<Product>>(`/api/products?${query}`, callerOf(c));
    const href = (target: number) => {
      const next = new URLSearchParams(query);
      next.set('page', String(target));
      return `/products?${next}`;
    };
    const body = html`<h1>Products</h1>
<form class="search" action="/products" method="get" role="search">
  <label for="search">Search by name or serial number</label>
  <div class="search-row">
    <input id="search" name="search" type="search" value="${search}" maxlength="200">
    <button type="submit" class="button">Search</button>
  </div>
</form>
${result.ok ? html`${productList(result.body, search)}${pagination({ page: result.body.page, pages: result.body.pages, href })}` : failurePanel(result.problem)}`;
    return c.html(layout({ title: 'Products', section: 'products', body }), result.ok ? 200 : (result.status as 400));
  });
}

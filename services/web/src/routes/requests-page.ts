import type { UploadSummary } from '@ipp/contracts';
import type { AppEnv } from '@ipp/platform';
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { ApiClient } from '../api-client.ts';
import { callerOf } from '../caller.ts';
import { failurePanel, pagination, statusTag } from '../views/components.ts';
import { formatDate } from '../views/format.ts';
import { layout } from '../views/layout.ts';

type Page<T> = { items: T[]; page: number; per_page: number; total: number; pages: number };

function requestsTable(list: Page<UploadSummary>) {
  if (list.total === 0) return html`<p>No uploads yet. <a href="/">Upload a CSV or images</a>.</p>`;
  return html`<div class="table-scroll"><table class="requests">
  <caption>${list.total} request(s), newest first</caption>
  <thead><tr><th scope="col">Request</th><th scope="col">State</th><th scope="col">Images</th><th scope="col">Processed</th><th scope="col">Failed</th><th scope="col">Started</th></tr></thead>
  <tbody>
  ${list.items.map(
    (request) => html`<tr>
    <td><a href="/requests/${request.request_id}"><code>${request.request_id.slice(0, 8)}</code><span class="visually-hidden"> ${request.request_id}</span></a></td>
    <td>${statusTag(request.status)}</td>
    <td data-label="Images">${request.total}</td>
    <td data-label="Processed">${request.processed}</td>
    <td data-label="Failed">${request.failed}</td>
    <td data-label="Started">${formatDate(request.created_at)}</td>
  </tr>`,
  )}
  </tbody>
</table></div>`;
}

/** `GET /requests?page=`: every upload request, newest first, as the API pages them. */
export function mountRequestsPage(app: Hono<AppEnv>, api: ApiClient) {
  app.get('/requests', async (c) => {
    const query = new URLSearchParams();
    for (const name of ['page', 'per_page']) {
      const value = c.req.query(name);
      if (value) query.set(name, value);
    }
    const result = await api.get<Page<UploadSummary>>(`/api/uploads?${query}`, callerOf(c));
    const perPage = c.req.query('per_page');
    const href = (page: number) => `/requests?page=${page}${perPage ? `&per_page=${encodeURIComponent(perPage)}` : ''}`;
    const body = html`<h1>Requests</h1>
${result.ok ? html`${requestsTable(result.body)}${pagination({ page: result.body.page, pages: result.body.pages, href })}` : failurePanel(result.problem)}`;
    return c.html(layout({ title: 'Requests', section: 'requests', body }), result.ok ? 200 : (result.status as 400));
  });
}

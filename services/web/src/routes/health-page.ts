import type { HealthDetailed } from '@ipp/contracts';
import type { AppEnv } from '@ipp/platform';
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { ApiClient } from '../api-client.ts';
import { callerOf } from '../caller.ts';
import { failurePanel, statusTag } from '../views/components.ts';
import { formatBytes, formatDate, formatPercent } from '../views/format.ts';
import { layout } from '../views/layout.ts';

type Detailed = HealthDetailed & { reasons?: string[] };
type ServiceCheck = HealthDetailed['checks']['services']['product'];
const REFRESH_MS = 5000;

function serviceRows(name: string, check: ServiceCheck) {
  const replicas = check.replicas ?? [];
  return html`<tr>
    <th scope="row">${name.replace('_', ' ')}</th>
    <td>${statusTag(check.status)}</td>
    <td>${check.version ?? '—'}</td>
    <td>${check.latency_ms} ms</td>
    <td>${replicas.length ? html`<ul class="replicas">${replicas.map((replica) => html`<li>${statusTag(replica.status)} <code>${replica.url}</code> ${replica.latency_ms} ms${replica.error ? html` — ${replica.error}` : ''}</li>`)}</ul>` : (check.error ?? '—')}</td>
  </tr>`;
}

function usage(label: string, used: number, total: number, percent: number) {
  return html`<div class="meter"><span>${label}</span><meter min="0" max="100" low="70" high="90" optimum="0" value="${percent}" aria-label="${label}">${formatPercent(percent)}</meter><span>${formatPercent(percent)} · ${formatBytes(used)} of ${formatBytes(total)}</span></div>`;
}

/** The aggregator's whole view, as one region the page replaces every few seconds. */
export function healthPanel(health: Detailed) {
  const { checks } = health;
  const { cpu, memory, disk } = checks.system;
  return html`<section id="health-live" data-refresh="${REFRESH_MS}" aria-labelledby="overall">
  <h2 id="overall">Platform ${statusTag(health.status)}</h2>
  <p class="hint">Checked ${formatDate(health.timestamp)}; refreshed every ${REFRESH_MS / 1000} s while this page is open.</p>
  ${health.reasons?.length ? html`<ul class="reasons">${health.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>` : ''}
  <h2>Services</h2>
  <div class="table-scroll"><table class="services">
    <thead><tr><th scope="col">Service</th><th scope="col">State</th><th scope="col">Version</th><th scope="col">Latency</th><th scope="col">Replicas</th></tr></thead>
    <tbody>${Object.entries(checks.services).map(([name, check]) => serviceRows(name, check as ServiceCheck))}</tbody>
  </table></div>
  <h2>Dependencies</h2>
  <dl class="totals wide">
    <div><dt>Database</dt><dd>${statusTag(checks.database.status)} ${checks.database.latency_ms} ms${checks.database.pool ? ` · pool ${checks.database.pool.total} (${checks.database.pool.idle} idle, ${checks.database.pool.waiting} waiting)` : ''}</dd></div>
    <div><dt>Broker</dt><dd>${statusTag(checks.rabbitmq.status)} ${checks.rabbitmq.latency_ms} ms</dd></div>
  </dl>
  <h2>Queues ${statusTag(checks.queues.status)}</h2>
  ${checks.queues.error ? html`<p>${checks.queues.error}</p>` : ''}
  <div class="table-scroll"><table class="queues">
    <thead><tr><th scope="col">Queue</th><th scope="col">Messages waiting</th><th scope="col">Consumers</th></tr></thead>
    <tbody>${Object.entries(checks.queues.queues).map(([queue, stats]) => html`<tr><th scope="row"><code>${queue}</code></th><td>${stats.messages}</td><td>${stats.consumers}</td></tr>`)}</tbody>
  </table></div>
  <h2>Machine ${statusTag(checks.system.status)}</h2>
  <div class="meters">
    <div class="meter"><span>CPU</span><meter min="0" max="100" low="70" high="90" optimum="0" value="${cpu.percent}" aria-label="CPU">${formatPercent(cpu.percent)}</meter><span>${formatPercent(cpu.percent)} · load ${cpu.load_1m} on ${cpu.cores} core(s)</span></div>
    ${usage('Memory', memory.used_bytes, memory.total_bytes, memory.percent)}
    ${usage(`Disk (${disk.path})`, disk.used_bytes, disk.total_bytes, disk.percent)}
  </div>
</section>`;
}

/** `GET /status`: the health aggregator's `/health/detailed`, also when it answers 503 (down). */
export function mountHealthPage(app: Hono<AppEnv>, api: ApiClient) {
  app.get('/status', async (c) => {
    const result = await api.get<Detailed>('/health/detailed', callerOf(c));
    const detailed = (result.ok ? result.body : (result.body ?? {})) as Partial<Detailed>;
    const body =
      detailed.checks && detailed.status
        ? healthPanel(detailed as Detailed)
        : result.ok
          ? ''
          : failurePanel(result.problem);
    return c.html(layout({ title: 'Health', section: 'health', body: html`<h1>Health</h1>${body}` }));
  });
}

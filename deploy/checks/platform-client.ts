// A client of a deployed platform, as the README's quick start uses it: requests through the gateway, CSV
// uploads, their status until final, and the services a trace reached in Jaeger.
import { type UploadStatus, UploadStatusSchema } from '@ipp/contracts';
import { until } from '@ipp/platform/testing';

const FINAL = ['completed', 'completed_with_errors', 'failed'];

/** A CSV upload form of `rows` (`serial,name,urls`) under the template's header. */
export function csvForm(rows: string[]) {
  const form = new FormData();
  const csv = ['Serial Number,Product Name,Input Image Urls', ...rows].join('\r\n');
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
  return form;
}

/** Requests to the gateway at `gateway`, each with `headers` (an API key, say). */
export function platformClient(gateway: string, headers: Record<string, string> = {}) {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${gateway}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });

  async function status(requestId: string) {
    return UploadStatusSchema.parse(await (await api(`/api/status/${requestId}`)).json());
  }

  return {
    api,
    status,
    /** The upload's status once it is final (completed, completed_with_errors or failed). */
    finished(requestId: string, timeoutMs = 180_000): Promise<UploadStatus> {
      return until(
        async () => {
          const current = await status(requestId);
          return FINAL.includes(current.status) ? current : undefined;
        },
        { timeoutMs, intervalMs: 500 },
      );
    },
    /** Uploads `rows` as a CSV; resolves with the request id, or throws with the answer. */
    async upload(rows: string[], init: RequestInit = {}) {
      const response = await api('/api/upload', { ...init, method: 'POST', body: csvForm(rows) });
      if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { request_id: string }).request_id;
    },
  };
}

/** The services of trace `traceId` in the Jaeger query API at `jaeger`, once every one of `expected` is there. */
export function tracedServices(jaeger: string, traceId: string, expected: string[]) {
  return until(
    async () => {
      const answer = await fetch(`${jaeger}/api/traces/${traceId}`).catch(() => undefined);
      if (!answer?.ok) return undefined;
      const [trace] = ((await answer.json()) as { data: { processes: Record<string, { serviceName: string }> }[] })
        .data;
      const names = new Set(Object.values(trace?.processes ?? {}).map((process) => process.serviceName));
      return expected.every((name) => names.has(name)) ? [...names].sort() : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
}

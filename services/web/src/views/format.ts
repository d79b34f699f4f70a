/** Sizes and dates as people read them; numbers only a machine needs stay in the API. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The share of the original's bytes the output saved; negative when the output is larger. */
export function percentSaved(before: number | null, after: number | null): string {
  if (!before || after === null) return '—';
  const saved = Math.round((1 - after / before) * 100);
  return saved >= 0 ? `${saved} % saved` : `${-saved} % larger`;
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

export function formatPercent(value: number): string {
  return `${Math.round(value * 10) / 10} %`;
}

const STATUS_WORDS: Record<string, string> = {
  queued: 'Queued',
  processing: 'Processing',
  done: 'Done',
  completed: 'Completed',
  completed_with_errors: 'Completed with errors',
  failed: 'Failed',
  ok: 'OK',
  degraded: 'Degraded',
  down: 'Down',
};

export function statusWords(status: string): string {
  return STATUS_WORDS[status] ?? status;
}

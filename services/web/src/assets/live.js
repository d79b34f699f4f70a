// The request page followed live: the API's event stream (GET /api/uploads/:id/events) moves the totals
// and progress bar at once; a changed item or the end re-renders the panel from the server's HTML.
// Read with fetch rather than EventSource so the kept API key can go along. Without the stream (an older
// API, a proxy that buffers), the panel is fetched again every few seconds instead.
(() => {
  const POLL_MS = 2000;
  let following = false;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function showTotals(summary) {
    for (const field of ['processed', 'failed', 'total']) {
      const cell = document.querySelector(`#request-live [data-field="${field}"]`);
      if (cell) cell.textContent = String(summary[field]);
    }
    const percent = Math.round(summary.progress * 1000) / 10;
    const bar = document.getElementById('request-progress');
    if (bar) bar.value = percent;
    const text = document.querySelector('#request-live [data-progress-text]');
    if (text) text.textContent = `${percent} %`;
  }

  /** Splits a text/event-stream into events: `{event, data, id}`; comment lines (heartbeats) are skipped. */
  async function* readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.search(/\r?\n\r?\n/);
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const event = { event: 'message', data: [], id: undefined };
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event.event = value;
          else if (field === 'data') event.data.push(value);
          else if (field === 'id') event.id = value;
        }
        if (event.data.length > 0) yield { ...event, data: event.data.join('\n') };
        end = buffer.search(/\r?\n\r?\n/);
      }
    }
  }

  async function follow(panel) {
    const id = panel.dataset.requestId;
    let lastEventId;
    let finished = false;
    let scheduled;
    // One re-render at a time, in order: a slow one must not land after the final one with older HTML.
    let rendering = Promise.resolve();
    const render = () => {
      rendering = rendering.then(() => window.ipp.refresh('request-live')).catch(() => undefined);
      return rendering;
    };
    const rerender = () => {
      if (scheduled) return;
      scheduled = setTimeout(() => {
        scheduled = undefined;
        render();
      }, 250);
    };
    while (!finished) {
      let response;
      try {
        const headers = { accept: 'text/event-stream', ...window.ipp.authHeaders() };
        if (lastEventId) headers['last-event-id'] = lastEventId;
        response = await fetch(`/api/uploads/${encodeURIComponent(id)}/events`, { headers });
      } catch {
        await sleep(POLL_MS);
        continue;
      }
      if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
        await response.body?.cancel();
        return poll();
      }
      try {
        for await (const event of readEvents(response.body)) {
          if (event.id) lastEventId = event.id;
          if (event.event === 'progress') showTotals(JSON.parse(event.data));
          else if (event.event === 'item') rerender();
          else if (event.event === 'done') {
            finished = true;
            showTotals(JSON.parse(event.data));
            // The final panel is the last: an item's re-render still waiting would replace it again.
            clearTimeout(scheduled);
            scheduled = undefined;
            await render();
          }
        }
      } catch {
        await sleep(POLL_MS);
      }
    }
  }

  async function poll() {
    for (;;) {
      await sleep(POLL_MS);
      const panel = await window.ipp.refresh('request-live').catch(() => undefined);
      if (panel?.dataset.finished === 'true') return;
    }
  }

  function start() {
    const panel = document.getElementById('request-live');
    if (!panel || following || panel.dataset.finished === 'true') return;
    following = true;
    follow(panel);
  }

  document.addEventListener('ipp:main-replaced', start);
  start();
})();

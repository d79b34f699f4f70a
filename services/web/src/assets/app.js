// Progressive enhancement shared by every page: the API key kept in this tab only (pages and downloads the
// API refused without it fetched again with it), regions that refresh themselves from the server's HTML, and
// focus moved to an error summary. Every page works without it.
(() => {
  const KEY = 'ipp-api-key';
  const storedKey = () => sessionStorage.getItem(KEY);

  const ipp = {
    /** The visitor's key as a request header, when one is kept. */
    authHeaders() {
      const key = storedKey();
      return key ? { authorization: `Bearer ${key}` } : {};
    },
    /** Fetches this page again and swaps the element `id` for its new version; returns the new element. */
    async refresh(id) {
      const response = await fetch(location.href, { headers: { accept: 'text/html', ...ipp.authHeaders() } });
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = page.getElementById(id);
      const current = document.getElementById(id);
      if (!next || !current) return undefined;
      current.replaceWith(next);
      return next;
    },
    /** Links to the key page come back here once a key is kept. */
    pointKeyLinksHere() {
      for (const link of document.querySelectorAll('[data-needs-key] a[href="/key"]')) {
        link.href = `/key?return=${encodeURIComponent(location.pathname + location.search)}`;
      }
    },
  };
  window.ipp = ipp;

  /**
   * A page the API refused without a key: with a key kept, ask again sending it and show that answer (the
   * page, or why the key was refused). The refusal is hidden meanwhile, since a key has been given.
   */
  async function retryWithKey() {
    const refusal = document.querySelector('[data-needs-key]');
    if (!refusal) return;
    ipp.pointKeyLinksHere();
    if (!storedKey()) return;
    refusal.hidden = true;
    try {
      const response = await fetch(location.href, { headers: { accept: 'text/html', ...ipp.authHeaders() } });
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const main = page.getElementById('main');
      if (!main) throw new Error(`no page in the answer (HTTP ${response.status})`);
      document.getElementById('main').replaceChildren(...main.childNodes);
      document.title = page.title;
    } catch {
      refusal.hidden = false;
      return;
    }
    ipp.pointKeyLinksHere();
    document.querySelector('[data-autofocus]')?.focus();
    autoRefresh();
    document.dispatchEvent(new CustomEvent('ipp:main-replaced'));
  }

  /**
   * Links marked `data-with-key` (the output CSV) are plain links while no key is kept. With one, the API would
   * refuse the browser's own request, which cannot carry it: fetch with the key and save under the file name.
   */
  async function saveWithKey(link) {
    const state = link.parentElement.querySelector('[data-download-state]');
    const say = (text) => {
      if (state) state.textContent = text;
    };
    say('Downloading…');
    try {
      const response = await fetch(link.href, { headers: ipp.authHeaders() });
      if (!response.ok) {
        await response.body?.cancel();
        return say(
          response.status === 401 || response.status === 403
            ? 'The API refused the key kept for this tab: enter another on the API key page.'
            : `The download failed (HTTP ${response.status}).`,
        );
      }
      const named = /filename="?([^";]+)"?/i.exec(response.headers.get('content-disposition') ?? '');
      const url = URL.createObjectURL(await response.blob());
      const save = document.createElement('a');
      save.href = url;
      save.download = named?.[1] ?? link.getAttribute('download') ?? '';
      save.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      say('');
    } catch {
      say('The download could not be fetched; check the connection and try again.');
    }
  }

  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[data-with-key]') : null;
    if (!link || !storedKey()) return;
    event.preventDefault();
    saveWithKey(link);
  });

  function keyPage() {
    const form = document.getElementById('key-form');
    if (!form) return;
    const state = document.querySelector('[data-key-state]');
    const say = (text) => {
      state.textContent = text;
      state.hidden = false;
    };
    if (storedKey()) say('A key is kept for this tab.');
    const back = new URLSearchParams(location.search).get('return');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const key = form.elements.api_key.value.trim();
      if (!key) return say('Enter a key first.');
      sessionStorage.setItem(KEY, key);
      form.reset();
      // Only a path on this site, never another origin.
      if (back?.startsWith('/') && !back.startsWith('//')) location.assign(back);
      else say('The key is kept for this tab.');
    });
    document.querySelector('[data-forget-key]').addEventListener('click', () => {
      sessionStorage.removeItem(KEY);
      say('The key is forgotten.');
    });
  }

  /** Regions marked `data-refresh="<ms>"` fetch themselves again while the page is visible. */
  let refreshing = false;
  function autoRefresh() {
    const region = document.querySelector('[data-refresh]');
    if (!region || refreshing) return;
    refreshing = true;
    const every = Number(region.dataset.refresh);
    setTimeout(async function tick() {
      if (!document.hidden) await ipp.refresh(region.id).catch(() => undefined);
      setTimeout(tick, every);
    }, every);
  }

  document.querySelector('[data-autofocus]')?.focus();
  keyPage();
  autoRefresh();
  retryWithKey();
})();

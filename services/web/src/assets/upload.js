// The upload form, enhanced: files dropped on the zone go to the right input, and the form is sent with
// XMLHttpRequest so a large upload shows its progress. The server's answer is used as it is: its request
// page when accepted, or the form again with the API's errors beside their fields and rows.
(() => {
  const isCsv = (file) => file.type === 'text/csv' || file.name.toLowerCase().endsWith('.csv');

  function bindDropZone(form) {
    const zone = form.querySelector('[data-drop-zone]');
    if (!zone) return;
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('dragging');
      const files = [...event.dataTransfer.files];
      const csv = new DataTransfer();
      const images = new DataTransfer();
      for (const file of files) (isCsv(file) ? csv : images).items.add(file);
      if (csv.files.length) form.elements.file.files = csv.files;
      if (images.files.length) form.elements.images.files = images.files;
    });
  }

  function refusal(request) {
    if (request.status === 401)
      return 'The platform needs an API key: enter one on the API key page, then upload again.';
    try {
      const problem = JSON.parse(request.responseText);
      return `${problem.title}: ${problem.detail}`;
    } catch {
      return `The upload was refused (HTTP ${request.status}).`;
    }
  }

  function send(form) {
    const progress = form.querySelector('[data-upload-progress]');
    const bar = progress.querySelector('progress');
    const text = progress.querySelector('[data-upload-text]');
    const button = form.querySelector('button[type="submit"]');
    const request = new XMLHttpRequest();
    request.open('POST', form.action);
    for (const [name, value] of Object.entries(window.ipp.authHeaders())) request.setRequestHeader(name, value);
    request.upload.addEventListener('progress', (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((event.loaded / event.total) * 100);
      bar.value = percent;
      text.textContent = `${percent} % of ${(event.total / 1048576).toFixed(1)} MB`;
    });
    request.addEventListener('load', () => {
      const landed = new URL(request.responseURL);
      if (landed.pathname !== new URL(form.action).pathname) return location.assign(landed.href);
      const page = new DOMParser().parseFromString(request.responseText, 'text/html');
      const main = page.getElementById('main');
      if (!main) {
        // The gateway itself refused (no key, too large, too many uploads): its problem+json, in words.
        button.disabled = false;
        text.textContent = refusal(request);
        return;
      }
      document.getElementById('main').replaceChildren(...main.childNodes);
      document.querySelector('[data-autofocus]')?.focus();
      window.ipp.pointKeyLinksHere();
      bind();
    });
    request.addEventListener('error', () => {
      button.disabled = false;
      text.textContent = 'The upload could not be sent; check the connection and try again.';
    });
    progress.hidden = false;
    button.disabled = true;
    request.send(new FormData(form));
  }

  function bind() {
    const form = document.getElementById('upload-form');
    if (!form) return;
    bindDropZone(form);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      send(form);
    });
  }

  bind();
})();

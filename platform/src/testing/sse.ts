// A small Server-Sent Events client for tests: every event and comment as it arrives, parsed per the
// WHATWG event-stream format (fields event, data, id; `:` comments), with the time each arrived.

export type StreamMessage =
  | { kind: 'event'; event: string; id: string | undefined; data: string; at: number }
  | { kind: 'comment'; text: string; at: number };

export type EventStreamClient = Awaited<ReturnType<typeof openEventStream>>;

/** Opens `url` and reads it as an event stream; `next` waits for the next message, `ended` for the end. */
export async function openEventStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const messages: StreamMessage[] = [];
  const waiting: (() => void)[] = [];
  let read = 0;
  let done = false;
  const wake = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };

  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    let fields: { event?: string; id?: string; data: string[] } = { data: [] };
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.search(/\r\n|\r|\n/); end !== -1; end = buffer.search(/\r\n|\r|\n/)) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(buffer.startsWith('\r\n', end) ? end + 2 : end + 1);
          if (line === '') {
            if (fields.data.length) {
              const { event = 'message', id, data } = fields;
              messages.push({ kind: 'event', event, id, data: data.join('\n'), at: Date.now() });
            }
            fields = { data: [] };
          } else if (line.startsWith(':')) {
            messages.push({ kind: 'comment', text: line.slice(1).trim(), at: Date.now() });
          } else {
            const colon = line.indexOf(':');
            const name = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (name === 'data') fields.data.push(value);
            else if (name === 'event') fields.event = value;
            else if (name === 'id') fields.id = value;
          }
          wake();
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      done = true;
      wake();
    }
  })();

  /** The next message not yet returned; undefined once the stream has ended without one. */
  async function next(timeoutMs = 30_000): Promise<StreamMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (read >= messages.length && !done) {
      if (Date.now() > deadline) throw new Error(`no event within ${timeoutMs} ms from ${url}`);
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
      });
    }
    const message = messages[read];
    if (message) read += 1;
    return message;
  }

  /** The next event (comments skipped), its data parsed as JSON. */
  async function nextEvent(timeoutMs = 30_000) {
    for (;;) {
      const message = await next(timeoutMs);
      if (!message) return undefined;
      // biome-ignore lint/suspicious/noExplicitAny: tests read event payloads field by field and assert them.
      if (message.kind === 'event') return { ...message, json: JSON.parse(message.data) as any };
    }
  }

  return {
    status: response.status,
    headers: response.headers,
    /** Every message so far, events and comments. */
    messages,
    next,
    nextEvent,
    /** Resolves once the server has ended the stream (or `close` was called). */
    ended,
    isEnded: () => done,
    close() {
      controller.abort();
      return ended.catch(() => undefined);
    },
  };
}

// A test helper: multipart bodies built byte by byte, for requests cut off inside a chosen part.
export type Part = { name: string; data: Buffer | string; filename?: string; contentType?: string };

/**
 * A `multipart/form-data` body built by hand, with where each part's data starts and ends, so a test
 * can cut the connection in the middle of a chosen part.
 */
export function multipartBody(parts: Part[], boundary = 'ipp-test-boundary-7MA4YWxkTrZu0gW') {
  const chunks: Buffer[] = [];
  const ranges: Array<{ name: string; start: number; end: number }> = [];
  let length = 0;
  const push = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
  };
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    const type = part.contentType ? `Content-Type: ${part.contentType}\r\n` : '';
    push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    const data = Buffer.from(part.data);
    ranges.push({ name: part.name, start: length, end: length + data.length });
    push(data);
    push(Buffer.from('\r\n'));
  }
  push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}`, ranges };
}

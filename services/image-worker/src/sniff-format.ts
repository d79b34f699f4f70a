/**
 * Names formats the worker refuses, from their magic bytes, so a failure says "PDF" or "HEIC" rather
 * than "not an image". The Content-Type a source claims is never consulted.
 */
export function sniffUnsupported(input: Buffer): string | undefined {
  const head = input.subarray(0, 512).toString('latin1');
  if (head.startsWith('%PDF-')) return 'PDF';
  if (/^(\uFEFF|\xEF\xBB\xBF)?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head))
    return 'SVG';
  if (head.slice(4, 8) === 'ftyp') {
    const brands = head.slice(8, Math.min(input.readUInt32BE(0), 64));
    if (/avif|avis/.test(brands)) return undefined;
    if (/heic|heix|hevc|hevx|heim|heis|mif1|msf1/.test(brands)) return 'HEIC';
  }
  return undefined;
}

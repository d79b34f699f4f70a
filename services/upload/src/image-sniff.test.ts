import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sniffImage } from './image-sniff.ts';

const pixel = () => sharp({ create: { width: 2, height: 2, channels: 3, background: '#123456' } });

describe('sniffImage', () => {
  it('recognises each supported format from its first bytes', async () => {
    const samples: Array<[string, Buffer]> = [
      ['image/jpeg', await pixel().jpeg().toBuffer()],
      ['image/png', await pixel().png().toBuffer()],
      ['image/gif', await pixel().gif().toBuffer()],
      ['image/webp', await pixel().webp().toBuffer()],
      ['image/avif', await pixel().avif().toBuffer()],
      ['image/tiff', await pixel().tiff().toBuffer()],
    ];
    for (const [type, bytes] of samples) expect(sniffImage(bytes.subarray(0, 16))?.contentType).toBe(type);
  });

  it('refuses what is not an image, whatever it is called', () => {
    for (const text of ['<svg xmlns="http://www.w3.org/2000/svg"/>', '%PDF-1.7', 'Serial Number,Product Name', '']) {
      expect(sniffImage(Buffer.from(text))).toBeUndefined();
    }
  });
});

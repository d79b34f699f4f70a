import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ImageOptions, processImage } from './process-image.ts';
import { animatedGif, photoJpeg, pngDeclaring } from './testing/images.ts';

const defaults: ImageOptions = { quality: 50, format: 'original', max_width: null, max_height: null };
const limits = { maxPixels: 50_000_000 };
const process = (input: Buffer, options: Partial<ImageOptions> = {}) =>
  processImage(input, { ...defaults, ...options }, limits);
const failure = (input: Buffer, options: Partial<ImageOptions> = {}) =>
  process(input, options).then(
    () => {
      throw new Error('processed');
    },
    (error) => error as { code: string; permanent: boolean; message: string },
  );

let photo: Buffer;
beforeAll(async () => {
  photo = await photoJpeg(400, 300);
});

describe('processImage', () => {
  it('applies the EXIF orientation and drops the tag', async () => {
    const rotated = await photoJpeg(400, 200, { orientation: 6 });
    const result = await process(rotated);
    const output = await sharp(result.data).metadata();
    expect([result.width, result.height]).toEqual([200, 400]);
    expect([output.width, output.height]).toEqual([200, 400]);
    expect(output.orientation).toBeUndefined();
  });

  it('strips EXIF, XMP and ICC metadata', async () => {
    const tagged = await sharp(photo)
      .withExif({ IFD0: { Copyright: 'secret owner', Artist: 'someone' } })
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>')
      .jpeg({ quality: 95 })
      .toBuffer();
    expect((await sharp(tagged).metadata()).exif).toBeDefined();
    const output = await sharp((await process(tagged)).data).metadata();
    expect(output.exif).toBeUndefined();
    expect(output.xmp).toBeUndefined();
    expect(output.icc).toBeUndefined();
  });

  it('converts CMYK to sRGB', async () => {
    const cmyk = await sharp(photo).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const output = await sharp((await process(cmyk)).data).metadata();
    expect(output.space).toBe('srgb');
    expect(output.channels).toBe(3);
  });

  it('keeps the alpha channel of a PNG', async () => {
    const translucent = await sharp({
      create: { width: 64, height: 64, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } },
    })
      .png()
      .toBuffer();
    const result = await process(translucent);
    const output = await sharp(result.data).metadata();
    expect(result.format).toBe('png');
    expect(output.hasAlpha).toBe(true);
    const { data } = await sharp(result.data).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(data[3]).toBeGreaterThan(100);
    expect(data[3]).toBeLessThan(155);
  });

  it('keeps the frames of an animated GIF, as GIF or WebP, and takes the first frame for JPEG', async () => {
    const gif = await animatedGif(4);
    expect((await sharp(gif).metadata()).pages).toBe(4);
    const asGif = await process(gif);
    expect(asGif.format).toBe('gif');
    expect((await sharp(asGif.data).metadata()).pages).toBe(4);
    const asWebp = await process(gif, { format: 'webp' });
    expect((await sharp(asWebp.data).metadata()).pages).toBe(4);
    const asJpeg = await process(gif, { format: 'jpeg' });
    expect(await sharp(asJpeg.data).metadata()).toMatchObject({ format: 'jpeg', width: 64, height: 64 });
  });

  it.each(['jpeg', 'png', 'webp', 'avif'] as const)('converts to %s', async (format) => {
    const result = await process(photo, { format });
    expect(result.format).toBe(format);
    expect((await sharp(result.data).metadata()).format).toBe(format === 'avif' ? 'heif' : format);
  });

  it('fits within max_width / max_height and never enlarges', async () => {
    expect(await process(photo, { max_width: 200 })).toMatchObject({ width: 200, height: 150 });
    expect(await process(photo, { max_height: 100 })).toMatchObject({ width: 133, height: 100 });
    expect(await process(photo, { max_width: 1000, max_height: 1000 })).toMatchObject({ width: 400, height: 300 });
  });

  it('compresses a high-quality photo to a smaller file', async () => {
    const result = await process(photo);
    expect(result.encoding).toBe('encoded');
    expect(result.data.length).toBeLessThan(photo.length);
  });

  it('writes the same JPEG pixels without optimised Huffman tables, in more bytes (JPEG_OPTIMIZE_CODING=false)', async () => {
    const large = await photoJpeg(1200, 900);
    const optimised = await process(large);
    const plain = await processImage(large, defaults, { ...limits, optimizeCoding: false });
    const pixels = (data: Buffer) => sharp(data).raw().toBuffer();
    expect(plain.data.length).toBeGreaterThan(optimised.data.length);
    expect((await pixels(plain.data)).equals(await pixels(optimised.data))).toBe(true);
  });

  it('never stores an output larger than an already compressed input of the same format and size', async () => {
    const small = await sharp(photo)
      .jpeg({ quality: 20 })
      .withExif({ IFD0: { Copyright: 'x' } })
      .toBuffer();
    const result = await process(small, { quality: 90 });
    expect(result.data.length).toBeLessThanOrEqual(small.length);
    expect(result.encoding).toBe('original');
    const output = await sharp(result.data).metadata();
    expect(output.exif).toBeUndefined();
    expect([output.width, output.height]).toEqual([400, 300]);
  });

  it('makes a WebP thumbnail within 320 px', async () => {
    const large = await photoJpeg(1000, 500);
    const thumbnail = await sharp((await process(large)).thumbnail).metadata();
    expect(thumbnail).toMatchObject({ format: 'webp', width: 320, height: 160 });
  });

  describe('refuses with a permanent, named failure', () => {
    it('a decompression bomb, from its header', async () => {
      expect(await failure(await pngDeclaring(20_000, 20_000))).toMatchObject({
        code: 'too_many_pixels',
        permanent: true,
      });
    });

    it('a truncated JPEG', async () => {
      expect(await failure(photo.subarray(0, Math.floor(photo.length / 2)))).toMatchObject({
        code: 'corrupt_image',
        permanent: true,
      });
    });

    it('HTML served as an image', async () => {
      expect(await failure(Buffer.from('<!doctype html><html><body>not found</body></html>'))).toMatchObject({
        code: 'not_an_image',
        permanent: true,
      });
    });

    it.each([
      ['SVG', Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
      ['PDF', Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n')],
      [
        'HEIC',
        Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic'), Buffer.alloc(64)]),
      ],
    ])('%s', async (name, input) => {
      const error = await failure(input);
      expect(error).toMatchObject({ code: 'unsupported_format', permanent: true });
      expect(error.message).toContain(name);
    });
  });
});

import type { ImageProcessJob } from '@ipp/contracts';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { permanent } from './processing-error.ts';
import { sniffUnsupported } from './sniff-format.ts';
import { stripMetadata } from './strip-metadata.ts';

export type ImageOptions = ImageProcessJob['options'];
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';
export type ProcessedImage = {
  data: Buffer;
  format: OutputFormat;
  width: number;
  height: number;
  thumbnail: Buffer;
  /** `original`: the re-encode was not smaller, so the source's own bytes were kept (metadata stripped). */
  encoding: 'encoded' | 'original';
};

export const THUMBNAIL_SIZE = 320;
/** Output formats sharp can write animated. */
const ANIMATED_OUTPUTS = new Set<OutputFormat>(['gif', 'webp']);
const ACCEPTED_INPUTS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/**
 * libvips threads per image, so that `imagesInFlight` images at once fill the cores without
 * oversubscribing them; the operation cache is off (each source is decoded once, the cache only holds memory).
 */
export function configureSharp(options: { imagesInFlight: number; cores: number }) {
  sharp.cache(false);
  sharp.concurrency(Math.max(1, Math.round(options.cores / options.imagesInFlight)));
}

export type ProcessLimits = {
  maxPixels: number;
  /**
   * Optimised Huffman tables for a JPEG (libjpeg's optimize_coding, on by default); off: ~30 % less CPU per
   * photo for ~11 % more bytes, the same pixels (bench/results/pipeline.md). JPEG_OPTIMIZE_CODING.
   */
  optimizeCoding?: boolean;
};

/**
 * Auto-orients, converts to sRGB (CMYK included, through the embedded or a default CMYK profile), strips
 * metadata, resizes within max_width/max_height without enlarging, encodes at `quality`, and makes a WebP
 * thumbnail. Sources over `maxPixels` are refused from their header, before any pixel is decoded.
 */
export async function processImage(input: Buffer, options: ImageOptions, limits: ProcessLimits) {
  const optimizeCoding = limits.optimizeCoding ?? true;
  const metadata = await readHeader(input);
  const pages = metadata.pages ?? 1;
  const pixels = (metadata.width ?? 0) * (metadata.height ?? 0) * pages;
  if (pixels > limits.maxPixels) {
    throw permanent(
      'too_many_pixels',
      `the image is ${metadata.width}×${metadata.height}${pages > 1 ? `×${pages} frames` : ''} (${pixels} pixels); the limit is ${limits.maxPixels}`,
    );
  }
  const source = sourceFormat(metadata);
  const format = options.format === 'original' ? originalOutput(source, metadata) : options.format;
  const animated = pages > 1 && ANIMATED_OUTPUTS.has(format);
  const pipeline = () => {
    let image = sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'error', animated }).autoOrient();
    if (options.max_width || options.max_height) {
      image = image.resize({
        width: options.max_width ?? undefined,
        height: options.max_height ?? undefined,
        fit: 'inside',
        withoutEnlargement: true,
      });
    }
    return image.toColourspace('srgb');
  };

  let result: Encoded = await encode(pipeline(), format, options.quality, { smarter: false, optimizeCoding });
  const upright = metadata.autoOrient ?? { width: metadata.width ?? 0, height: metadata.height ?? 0 };
  const unchanged = format === source && result.width === upright.width && result.height === upright.height;
  let encoding: ProcessedImage['encoding'] = 'encoded';
  if (unchanged && result.data.length >= input.length) {
    const smarter = await encode(pipeline(), format, options.quality, { smarter: true, optimizeCoding: true });
    if (smarter.data.length < result.data.length) result = smarter;
    const original = result.data.length >= input.length ? keepableOriginal(input, metadata, format) : undefined;
    if (original && original.length < result.data.length) {
      result = { ...result, data: original };
      encoding = 'original';
    }
  }
  const thumbnail = await sharp(result.data, { failOn: 'none' })
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 70 })
    .toBuffer();
  return { ...result, format, thumbnail, encoding } satisfies ProcessedImage;
}

async function readHeader(input: Buffer): Promise<Metadata> {
  const unsupported = sniffUnsupported(input);
  if (unsupported) throw permanent('unsupported_format', `${unsupported} images are not supported`);
  try {
    // Reads the header only; the pixel limit is judged by the caller with a clearer message.
    return await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw permanent('not_an_image', 'the source is not an image in a supported format', error);
  }
}

function sourceFormat(metadata: Metadata): string {
  const format = metadata.format ?? 'unknown';
  if (!ACCEPTED_INPUTS.has(format))
    throw permanent('unsupported_format', `${format.toUpperCase()} images are not supported`);
  if (format === 'heif') {
    if (metadata.compression !== 'av1') throw permanent('unsupported_format', 'HEIC images are not supported');
    return 'avif';
  }
  return format;
}

function originalOutput(source: string, metadata: Metadata): OutputFormat {
  if (source === 'jpeg' || source === 'png' || source === 'webp' || source === 'avif' || source === 'gif')
    return source;
  return metadata.hasAlpha ? 'png' : 'jpeg';
}

type Encoded = { data: Buffer; width: number; height: number };

/** `smarter`: the slower settings, tried when the first encode was not smaller than the source. */
async function encode(
  image: Sharp,
  format: OutputFormat,
  quality: number,
  { smarter, optimizeCoding }: { smarter: boolean; optimizeCoding: boolean },
): Promise<Encoded> {
  const encoder = {
    jpeg: () => image.jpeg({ quality, mozjpeg: smarter, optimiseCoding: optimizeCoding }),
    // PNG quality means palette quantisation; alpha survives it.
    png: () => image.png({ palette: quality < 100, quality, compressionLevel: 9, effort: smarter ? 10 : 7 }),
    webp: () => image.webp({ quality, effort: smarter ? 6 : 4 }),
    avif: () => image.avif({ quality, effort: smarter ? 6 : 4 }),
    gif: () => image.gif({ effort: smarter ? 10 : 7 }),
  }[format];
  try {
    const { data, info } = await encoder().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.pageHeight ?? info.height };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) throw permanent('too_many_pixels', message, error);
    throw permanent('corrupt_image', `the image could not be decoded: ${message.split('\n')[0]}`, error);
  }
}

/** The source's bytes minus their metadata, when they need no rotation or colour conversion. */
function keepableOriginal(input: Buffer, metadata: Metadata, format: OutputFormat) {
  if ((metadata.orientation ?? 1) > 1 || (metadata.space !== 'srgb' && metadata.space !== 'b-w')) return undefined;
  const stripped = stripMetadata(input, format);
  if (stripped) return stripped;
  const clean = !metadata.exif && !metadata.xmp && !metadata.iptc;
  return clean ? input : undefined;
}

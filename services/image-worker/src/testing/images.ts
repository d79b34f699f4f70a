import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A photo-like JPEG: a gradient with noise, so it compresses like a real picture. */
export async function photoJpeg(
  width: number,
  height: number,
  options: { quality?: number; orientation?: number } = {},
) {
  const noise = await sharp({
    create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  })
    .blur(1.2)
    .raw()
    .toBuffer();
  let image = sharp(noise, { raw: { width, height, channels: 3 } })
    .composite([{ input: gradient(width, height), blend: 'overlay' }])
    .jpeg({ quality: options.quality ?? 90 });
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  return image.toBuffer();
}

function gradient(width: number, height: number) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#c33"/><stop offset="1" stop-color="#33c"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  return Buffer.from(svg);
}

/** A PNG whose IHDR claims other dimensions than its (tiny) pixel data: a decompression bomb's header. */
export async function pngDeclaring(width: number, height: number) {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC covers type + data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

export async function animatedGif(frames: number, size = 64) {
  const colours = ['#f00', '#0f0', '#00f', '#ff0'];
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, index) =>
      sharp({
        create: { width: size, height: size, channels: 3, background: colours[index % colours.length] ?? '#000' },
      })
        .raw()
        .toBuffer(),
    ),
  );
  return sharp(Buffer.concat(pages), { raw: { width: size, height: size * frames, channels: 3, pageHeight: size } })
    .gif({ delay: Array(frames).fill(100) })
    .toBuffer();
}

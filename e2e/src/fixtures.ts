// Image fixtures made in a few lines with sharp, instead of binary blobs in the repository.
import sharp from 'sharp';

const gradient = (width: number, height: number) => {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      pixels[offset] = (x * 255) / width;
      pixels[offset + 1] = (y * 255) / height;
      pixels[offset + 2] = ((x + y) * 127) / (width + height);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
};

/** A landscape JPEG stored sideways: EXIF orientation 6 says "rotate 90° clockwise to display". */
export const jpegWithExifOrientation = (width = 640, height = 480) =>
  gradient(width, height)
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: 'fixture', Artist: 'e2e' } } })
    .toBuffer();

export const pngWithAlpha = (width = 400, height = 300) => gradient(width, height).ensureAlpha(0.5).png().toBuffer();

export const webp = (width = 500, height = 400) => gradient(width, height).webp({ quality: 95 }).toBuffer();

/** A two-frame animated GIF. */
export const animatedGif = async (width = 120, height = 90) => {
  const frame = await gradient(width, height).raw().toBuffer();
  const frames = Buffer.concat([frame, Buffer.from(frame.map((value) => 255 - value))]);
  return sharp(frames, { raw: { width, height: height * 2, channels: 3, pageHeight: height } })
    .gif({ loop: 0, delay: [100, 100] })
    .toBuffer();
};

export const cmykJpeg = (width = 400, height = 300) =>
  gradient(width, height).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();

/** The first half of a JPEG: a valid header, then nothing. */
export const truncatedJpeg = async () => {
  const whole = await gradient(800, 600).jpeg({ quality: 95 }).toBuffer();
  return whole.subarray(0, Math.floor(whole.length / 2));
};

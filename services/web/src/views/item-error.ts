/** What went wrong with an image, in words for people; the API's code and message stay beside it. */
const EXPLANATIONS: Record<string, string> = {
  source_not_found: 'The image was not found at its URL.',
  source_rejected: 'The server holding the image refused to send it.',
  source_unavailable: 'The server holding the image was unavailable, even after several tries.',
  source_unreachable: 'The server holding the image could not be reached.',
  source_timeout: 'The server holding the image did not answer in time.',
  source_too_large: 'The image is larger than the platform accepts.',
  too_many_redirects: 'The image URL redirected too many times.',
  blocked_address: 'The image URL points to a private or local address, which the platform does not fetch.',
  not_an_image: 'The file at the URL is not an image.',
  unsupported_format: 'The image is in a format the platform does not process.',
  corrupt_image: 'The image is damaged and could not be read.',
  too_many_pixels: 'The image has more pixels than the platform accepts.',
  invalid_source: 'The stored upload could not be used.',
  dead_lettered: 'Processing failed repeatedly, so the platform gave up on this image.',
  stalled: 'The image was not processed in time, even after it was sent again.',
  internal_error: 'An unexpected error occurred while processing the image.',
};

/** Splits the API's `code: message` into plain words and the technical detail. */
export function explainItemError(error: string): { words: string; detail: string } {
  const separator = error.indexOf(': ');
  const code = separator === -1 ? error : error.slice(0, separator);
  const words = EXPLANATIONS[code];
  if (!words) return { words: error, detail: '' };
  return { words, detail: error };
}

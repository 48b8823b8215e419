/**
 * Text from strangers into HTML. Every string the page shows goes through escapeHtml, which
 * escapes the five characters that end text or an attribute (& < > " ') and replaces what HTML
 * cannot hold as text (NUL and other control characters, which the HTML parser turns into errors
 * or U+FFFD anyway) with U+FFFD. Line breaks and tabs become spaces. Right-to-left text and emoji
 * stay as they are: the page isolates each stranger's name in <bdi> so a name in Arabic or one
 * with an RLM cannot reverse the text around it.
 */

const SPECIAL: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const LINE_BREAKS = /[\t\r\n\u2028\u2029]+/g;

export function escapeHtml(text: string): string {
  return text.replace(LINE_BREAKS, ' ').replace(CONTROL, '\uFFFD').replace(/[&<>"']/g, (char) => SPECIAL[char]!);
}

/** 12,345 as every count on the page is written (and as tests look for it): as the CLI writes it. */
export { formatCount, signedCount } from '../count-text.js';

export const formatShare = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '–');

/** A TikTok profile's address; a handle is letters, digits, '.' and '_', encoded all the same. */
export const profileUrl = (uniqueId: string): string => `https://www.tiktok.com/@${encodeURIComponent(uniqueId)}`;

/** At most `max` characters (code points, so an emoji is not cut in half), then an ellipsis. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

export const MAX_FILENAME_LENGTH = 255;

/**
 * A file name safe to store and to send back in a header: the last path segment only (`/` and `\`
 * both separate), without control characters or bidirectional overrides, trimmed, at most 255
 * characters (shortened before the extension, which is kept), and never empty or a dot name.
 */
export function sanitizeFilename(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim()
    .replace(/^\.+$/, '');
  if (cleaned.length === 0) return 'file';
  const chars = Array.from(cleaned);
  if (chars.length <= MAX_FILENAME_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(cleaned.slice(dot)) : [];
  if (ext.length === 0 || ext.length > 16) return chars.slice(0, MAX_FILENAME_LENGTH).join('');
  const stem = Array.from(cleaned.slice(0, dot));
  return stem.slice(0, MAX_FILENAME_LENGTH - ext.length).join('') + ext.join('');
}

/**
 * A `Content-Disposition` value: an ASCII fallback `filename` and the exact name as RFC 5987's
 * `filename*=UTF-8''…`.
 */
export function contentDisposition(type: 'attachment' | 'inline', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

import { ExtractionError, type ExtractedText } from './extracted-text';

/** How a file's text is read, by its type; null for a file with no text to index (an image…). */
export type DocumentKind = 'text' | 'json' | 'html' | 'pdf' | 'docx';

const TEXT_EXTENSIONS = new Set([
  'txt', 'text', 'md', 'markdown', 'csv', 'tsv', 'log', 'xml', 'yaml', 'yml', 'toml', 'ini', 'rst', 'tex',
  'py', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'java', 'c', 'h', 'cpp', 'hpp', 'cs', 'go', 'rs', 'rb',
  'php', 'sh', 'sql', 'r', 'swift', 'kt', 'scala', 'css', 'scss',
]); // prettier-ignore

const TEXT_MIME_TYPES = new Set([
  'application/xml',
  'application/x-yaml',
  'application/yaml',
  'application/x-sh',
  'application/sql',
  'application/javascript',
  'application/typescript',
  'application/x-python',
  'application/toml',
]);

const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

/**
 * The kind of a file from its MIME type, its extension deciding when the type is generic
 * (`application/octet-stream`, as browsers send for `.md`). Null: nothing to extract.
 */
export function documentKind(mimeType: string, filename: string): DocumentKind | null {
  const mime = mimeType.split(';')[0].trim().toLowerCase();
  const ext = extensionOf(filename);
  if (mime === 'application/pdf' || ext === 'pdf') return 'pdf';
  if (mime === DOCX_MIME || ext === 'docx') return 'docx';
  if (mime === 'text/html' || mime === 'application/xhtml+xml' || ext === 'html' || ext === 'htm') return 'html';
  if (mime === 'application/json' || mime.endsWith('+json') || ext === 'json') return 'json';
  if (mime.startsWith('text/') || TEXT_MIME_TYPES.has(mime) || TEXT_EXTENSIONS.has(ext)) return 'text';
  return null;
}

/** UTF-8 text (a byte-order mark dropped); a file that is not text (NUL bytes) fails. */
export function decodeText(data: Buffer): string {
  const text = data.toString('utf8');
  if (text.includes('\u0000')) throw new ExtractionError('The file is not text (it holds binary data)');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function extractPlainText(data: Buffer): ExtractedText {
  return { pages: [{ page: null, text: decodeText(data) }] };
}

/** JSON pretty-printed, so that its values fall on lines and chunks; invalid JSON is kept as is. */
export function extractJson(data: Buffer): ExtractedText {
  const text = decodeText(data);
  try {
    return { pages: [{ page: null, text: JSON.stringify(JSON.parse(text), null, 2) }] };
  } catch {
    return { pages: [{ page: null, text }] };
  }
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  deg: '°',
  middot: '·',
  bull: '•',
  times: '×',
  divide: '÷',
  laquo: '«',
  raquo: '»',
};

function codePoint(n: number): string {
  return Number.isInteger(n) && n > 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff)
    ? String.fromCodePoint(n)
    : '\ufffd';
}

/** Decodes numeric and the common named character references; an unknown name stays as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});/gi, (whole, ref: string) => {
    if (ref[0] === '#')
      return codePoint(ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)));
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Elements whose content is not text a reader sees. */
const HIDDEN_ELEMENTS = /<(script|style|noscript|template|svg)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
/** Tags that end a line of text. */
const BLOCK_TAGS =
  /<\/?(p|div|br|hr|li|ul|ol|tr|table|section|article|header|footer|nav|aside|main|h[1-6]|pre|blockquote|dd|dt|dl|figure|figcaption|form|fieldset|address|title)\b[^>]*>/gi;

/** The text a reader of the page sees: no markup, scripts or styles; blocks on lines of their own. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(HIDDEN_ELEMENTS, ' ')
    .replace(/<\/t[dh]\s*>/gi, '\t')
    .replace(BLOCK_TAGS, '\n')
    .replace(/<[^>]*>/g, '');
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function extractHtml(data: Buffer): ExtractedText {
  return { pages: [{ page: null, text: htmlToText(decodeText(data)) }] };
}

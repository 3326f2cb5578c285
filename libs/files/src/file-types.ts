/**
 * The file types uploads may have, recognised by their content (magic bytes) and not only by their
 * name. Binary formats are identified from their bytes; text formats must be valid UTF-8 without a
 * NUL byte, and then the extension decides which text type it is (JSON must also parse).
 */

export const MIME = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  html: 'text/html',
  py: 'text/x-python',
  js: 'text/javascript',
  ts: 'text/x-typescript',
  xml: 'application/xml',
  yaml: 'application/yaml',
} as const;

export type FileKind = keyof typeof MIME;

const BINARY_KINDS = ['pdf', 'png', 'jpeg', 'gif', 'webp', 'docx', 'xlsx', 'pptx'] as const;
type BinaryKind = (typeof BINARY_KINDS)[number];

/** Extensions (lower case, without the dot) and the kind each names. */
const EXTENSIONS: Record<string, FileKind> = {
  pdf: 'pdf',
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  gif: 'gif',
  webp: 'webp',
  docx: 'docx',
  xlsx: 'xlsx',
  pptx: 'pptx',
  txt: 'txt',
  text: 'txt',
  log: 'txt',
  md: 'md',
  markdown: 'md',
  csv: 'csv',
  json: 'json',
  html: 'html',
  htm: 'html',
  py: 'py',
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  ts: 'ts',
  xml: 'xml',
  yaml: 'yaml',
  yml: 'yaml',
};

/** The extensions and MIME types uploads may have, for `GET /api/files/config`. */
export const ACCEPTED_TYPES: { extensions: string[]; mimeType: string }[] = Object.entries(MIME).map(
  ([kind, mimeType]) => ({
    extensions: Object.keys(EXTENSIONS).filter((ext) => EXTENSIONS[ext] === kind),
    mimeType,
  }),
);

/** What the content of a file is, as far as its first bytes tell. */
export type Detected = { kind: BinaryKind } | { kind: 'text' } | { kind: 'other'; description: string };

export type SniffResult = { ok: true; kind: FileKind; mimeType: string } | { ok: false; reason: string };

const startsWith = (data: Buffer, bytes: number[] | string, offset = 0): boolean => {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return data.length >= offset + b.length && data.subarray(offset, offset + b.length).equals(b);
};

const ZIP_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const MAX_ZIP_ENTRIES = 2_000;

/**
 * The entry names in a ZIP's local file headers. Found by scanning for the header signature rather
 * than walking sizes, because entries written with a data descriptor record no size up front.
 */
export function zipEntryNames(data: Buffer): string[] {
  const names: string[] = [];
  let at = data.indexOf(ZIP_LOCAL_HEADER);
  while (at !== -1 && at + 30 <= data.length && names.length < MAX_ZIP_ENTRIES) {
    const nameLength = data.readUInt16LE(at + 26);
    const start = at + 30;
    if (nameLength > 0 && start + nameLength <= data.length) {
      names.push(data.subarray(start, start + nameLength).toString('latin1'));
    }
    at = data.indexOf(ZIP_LOCAL_HEADER, start);
  }
  return names;
}

function officeKind(data: Buffer): BinaryKind | undefined {
  const names = zipEntryNames(data);
  if (!names.includes('[Content_Types].xml')) return undefined;
  if (names.some((n) => n.startsWith('word/'))) return 'docx';
  if (names.some((n) => n.startsWith('xl/'))) return 'xlsx';
  if (names.some((n) => n.startsWith('ppt/'))) return 'pptx';
  return undefined;
}

function isUtf8Text(data: Buffer): boolean {
  if (data.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/** Identifies content from its bytes alone. */
export function detect(data: Buffer): Detected {
  if (startsWith(data, '%PDF-')) return { kind: 'pdf' };
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'png' };
  if (startsWith(data, [0xff, 0xd8, 0xff])) return { kind: 'jpeg' };
  if (startsWith(data, 'GIF87a') || startsWith(data, 'GIF89a')) return { kind: 'gif' };
  if (startsWith(data, 'RIFF') && startsWith(data, 'WEBP', 8)) return { kind: 'webp' };
  if (startsWith(data, ZIP_LOCAL_HEADER.toJSON().data)) {
    const office = officeKind(data);
    return office ? { kind: office } : { kind: 'other', description: 'a ZIP archive' };
  }
  if (startsWith(data, 'MZ')) return { kind: 'other', description: 'a Windows executable' };
  if (startsWith(data, [0x7f, 0x45, 0x4c, 0x46])) return { kind: 'other', description: 'an ELF executable' };
  if (isUtf8Text(data)) return { kind: 'text' };
  return { kind: 'other', description: 'binary data of an unsupported type' };
}

const LABELS: Record<FileKind, string> = {
  pdf: 'a PDF document',
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  gif: 'a GIF image',
  webp: 'a WEBP image',
  docx: 'a Word document (DOCX)',
  xlsx: 'an Excel workbook (XLSX)',
  pptx: 'a PowerPoint presentation (PPTX)',
  txt: 'plain text',
  md: 'Markdown',
  csv: 'CSV',
  json: 'JSON',
  html: 'HTML',
  py: 'Python',
  js: 'JavaScript',
  ts: 'TypeScript',
  xml: 'XML',
  yaml: 'YAML',
};

const describe = (d: Detected): string =>
  d.kind === 'other' ? d.description : d.kind === 'text' ? 'text' : LABELS[d.kind];

const isBinaryKind = (kind: FileKind): kind is BinaryKind => (BINARY_KINDS as readonly string[]).includes(kind);

/** The extension of a file name, lower case without the dot ('' when it has none). */
export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot <= 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

/**
 * Decides whether `data`, uploaded as `filename`, is a type this service accepts and which MIME
 * type it has. The content decides; the extension must agree with it (a `.pdf` that is not a PDF,
 * an executable named `.png`, are refused). A text file's extension picks its text type; a name
 * without a known extension is accepted when its content is a known binary type, or as plain text.
 */
export function sniff(data: Buffer, filename: string): SniffResult {
  const detected = detect(data);
  const ext = extensionOf(filename);
  const claimed: FileKind | undefined = EXTENSIONS[ext];
  const accept = (kind: FileKind): SniffResult => ({ ok: true, kind, mimeType: MIME[kind] });
  if (claimed === undefined) {
    if (detected.kind === 'other') return { ok: false, reason: `the content is ${describe(detected)}` };
    if (detected.kind === 'text') return accept('txt');
    return accept(detected.kind);
  }
  if (isBinaryKind(claimed)) {
    if (detected.kind === claimed) return accept(claimed);
    return { ok: false, reason: `the name says ${LABELS[claimed]} but the content is ${describe(detected)}` };
  }
  if (detected.kind !== 'text') {
    return { ok: false, reason: `the name says ${LABELS[claimed]} but the content is ${describe(detected)}` };
  }
  if (claimed === 'json') {
    try {
      JSON.parse(data.toString('utf8'));
    } catch {
      return { ok: false, reason: 'the name says JSON but the content does not parse as JSON' };
    }
  }
  return accept(claimed);
}

/** Images are shown inline when downloaded; everything else is an attachment. */
export function isImage(mimeType: string): boolean {
  return mimeType === MIME.png || mimeType === MIME.jpeg || mimeType === MIME.gif || mimeType === MIME.webp;
}

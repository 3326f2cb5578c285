import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The longest file name kept (the extension survives the cut). */
const MAX_FILENAME_LENGTH = 120;

/**
 * A file name safe to create in the working folder and to show: no folder part, no control or
 * shell-special characters, not hidden, not `.`/`..`, bounded in length, never empty.
 */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  let clean = base
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._\- ()+,=@]/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/_{2,}/g, '_')
    .trim()
    .replace(/^[.\s]+/, '');
  if (clean.length > MAX_FILENAME_LENGTH) {
    const dot = clean.lastIndexOf('.');
    const extension = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = clean.slice(0, MAX_FILENAME_LENGTH - extension.length) + extension;
  }
  return clean === '' || /^_+$/.test(clean) ? 'file' : clean;
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  zip: 'application/zip',
};

/** The MIME type a file name's extension suggests; `application/octet-stream` for the rest. */
export function mimeTypeOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  if (dot < 0) return 'application/octet-stream';
  return MIME_TYPES[filename.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** "512 B", "12 KB", "3.4 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Keeps the first `limit` bytes of a stream and counts the rest: however much a program prints,
 * what is held stays bounded.
 */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Every byte seen, kept or not. */
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  /** The kept text (a character cut at the limit becomes U+FFFD), with a note of what was cut. */
  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    if (!this.truncated) return text;
    return `${text}\n… (output cut: ${formatBytes(this.total - this.kept)} more of ${formatBytes(this.total)})`;
  }
}

/** What a file looked like, to tell afterwards whether the code wrote it. */
export interface FileState {
  size: number;
  mtimeMs: number;
}

/** Bounds of a folder walk: the code may leave any tree behind. */
const MAX_WALK_ENTRIES = 2000;
const MAX_WALK_DEPTH = 6;

/**
 * The regular files under `root` by relative path (`/`-separated), without following symbolic
 * links and skipping hidden entries (`.cache`, `.config`: tools' caches, not results).
 */
export async function snapshotFiles(root: string): Promise<Map<string, FileState>> {
  const files = new Map<string, FileState>();
  let seen = 0;
  const walk = async (folder: string, prefix: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > MAX_WALK_ENTRIES) return;
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory() && depth < MAX_WALK_DEPTH) {
        await walk(path, relative, depth + 1);
      } else if (entry.isFile()) {
        const stats = await lstat(path).catch(() => undefined);
        if (stats?.isFile()) files.set(relative, { size: stats.size, mtimeMs: stats.mtimeMs });
      }
    }
  };
  await walk(root, '', 0);
  return files;
}

/** The files of `after` that are new or changed since `before`, in path order. */
export function changedFiles(
  before: ReadonlyMap<string, FileState>,
  after: ReadonlyMap<string, FileState>,
): Array<{ path: string; size: number }> {
  const changed: Array<{ path: string; size: number }> = [];
  for (const [path, state] of after) {
    const old = before.get(path);
    if (!old || old.size !== state.size || old.mtimeMs !== state.mtimeMs) changed.push({ path, size: state.size });
  }
  return changed.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * The bytes of a regular file the sandbox wrote, refusing a symbolic link (the code could point one
 * at a file of the service) and anything over `maxBytes`.
 */
export async function readWrittenFile(path: string, maxBytes: number): Promise<Buffer | undefined> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    () => undefined,
  );
  if (!handle) return undefined;
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > maxBytes) return undefined;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

import { ExtractionError, type ExtractedPage } from './extracted-text';

/** One indexed piece of a file's text. */
export interface TextChunk {
  /** 0-based order in the file. */
  seq: number;
  page: number | null;
  text: string;
}

export interface ChunkingOptions {
  /** The longest chunk, in characters. */
  size: number;
  /** About how many characters of a chunk's end the next chunk repeats, so no passage is cut apart. */
  overlap: number;
  /** More chunks than this fails the file (it would swamp the index). */
  maxChunks: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { size: 1_000, overlap: 200, maxChunks: 20_000 };

/**
 * Where a chunk ending before `limit` is best cut, searching back no further than `floor`: after a
 * paragraph, else after a sentence or line, else at a space; `limit` itself when none is there.
 */
function breakPoint(text: string, floor: number, limit: number): number {
  const window = text.slice(floor, limit);
  const paragraph = window.lastIndexOf('\n\n');
  if (paragraph >= 0) return floor + paragraph + 2;
  let sentence = -1;
  for (const match of window.matchAll(/[.!?;:]["')\]]*\s|\n/g)) sentence = match.index + match[0].length;
  if (sentence > 0) return floor + sentence;
  const space = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\t'));
  if (space > 0) return floor + space + 1;
  return limit;
}

/** Where the chunk after one ending at `end` starts: about `overlap` back, at the start of a word. */
function nextStart(text: string, start: number, end: number, overlap: number): number {
  const from = Math.max(start + 1, end - overlap);
  const space = text.slice(from, end).search(/\s/);
  return space < 0 ? from : from + space + 1;
}

/**
 * Cuts the pages into chunks of at most `size` characters, on paragraph, sentence or word
 * boundaries where one falls in the chunk's second half, each chunk repeating about `overlap`
 * characters of the one before on the same page. A chunk never spans two pages, so it keeps its
 * page number. Blank pages give no chunk.
 */
export function chunkPages(pages: readonly ExtractedPage[], options: ChunkingOptions = DEFAULT_CHUNKING): TextChunk[] {
  const { size, overlap, maxChunks } = options;
  if (size < 2 || overlap < 0 || overlap >= size / 2)
    throw new Error('chunkPages: need size >= 2 and overlap < size / 2');
  const chunks: TextChunk[] = [];
  const push = (page: number | null, text: string) => {
    if (chunks.length >= maxChunks) {
      throw new ExtractionError(
        `The file is too long to index (more than ${maxChunks.toLocaleString('en-US')} chunks)`,
      );
    }
    chunks.push({ seq: chunks.length, page, text });
  };
  for (const { page, text } of pages) {
    let start = 0;
    while (start < text.length) {
      let end = Math.min(start + size, text.length);
      if (end < text.length) end = breakPoint(text, start + Math.floor(size / 2), end);
      const piece = text.slice(start, end).trim();
      if (piece) push(page, piece);
      if (end >= text.length) break;
      start = nextStart(text, start, end, overlap);
    }
  }
  return chunks;
}

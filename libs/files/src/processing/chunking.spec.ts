import { chunkPages, type ChunkingOptions } from './chunking';
import { ExtractionError } from './extracted-text';

const options: ChunkingOptions = { size: 1_000, overlap: 200, maxChunks: 20_000 };

/** Prose of numbered, distinct sentences, so every piece of text can be found again. */
function prose(sentences: number, paragraphEvery = 7): string {
  const parts: string[] = [];
  for (let i = 0; i < sentences; i++) {
    parts.push(`Sentence number ${i} tells about item${i} and its ${i % 3 === 0 ? 'long ' : ''}story.`);
    parts.push((i + 1) % paragraphEvery === 0 ? '\n\n' : ' ');
  }
  return parts.join('').trim();
}

describe('chunkPages', () => {
  const text = prose(300);
  const chunks = chunkPages([{ page: null, text }], options);

  it('keeps every chunk within the size, and numbers them in order', () => {
    expect(chunks.length).toBeGreaterThan(text.length / options.size);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(options.size);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.text.length).toBeGreaterThanOrEqual(options.size / 2 - 1);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
  });

  it('loses no word: the chunks cover the text in order', () => {
    let at = 0;
    for (const chunk of chunks) {
      const found = text.indexOf(chunk.text, 0);
      expect(found).toBeGreaterThanOrEqual(0);
      expect(found).toBeLessThanOrEqual(at); // starts no later than where the previous one ended
      at = found + chunk.text.length;
    }
    expect(at).toBe(text.length);
  });

  it('repeats about `overlap` characters of the previous chunk, starting at a word', () => {
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1].text;
      const current = chunks[i].text;
      let shared = Math.min(previous.length, current.length);
      while (shared > 0 && !previous.endsWith(current.slice(0, shared))) shared -= 1;
      expect(shared).toBeGreaterThan(options.overlap / 2);
      expect(shared).toBeLessThanOrEqual(options.overlap);
      const at = text.indexOf(current);
      expect(at === 0 || /\s/.test(text[at - 1])).toBe(true); // starts at a word
    }
  });

  it('cuts after sentences or paragraphs when one is in reach', () => {
    const ends = chunks.slice(0, -1).map((c) => c.text.at(-1));
    expect(ends.every((c) => c === '.')).toBe(true);
  });

  it('keeps each chunk on its page and skips blank pages', () => {
    const paged = chunkPages(
      [
        { page: 1, text: prose(40) },
        { page: 2, text: '   ' },
        { page: 3, text: 'A short last page.' },
      ],
      options,
    );
    expect(new Set(paged.map((c) => c.page))).toEqual(new Set([1, 3]));
    expect(paged.at(-1)).toEqual({ seq: paged.length - 1, page: 3, text: 'A short last page.' });
    expect(
      paged
        .filter((c) => c.page === 1)
        .map((c) => c.text)
        .join(' '),
    ).toContain('Sentence number 39');
  });

  it('cuts text with no spaces at the size limit, and still overlaps', () => {
    const blob = 'x'.repeat(2_500);
    const pieces = chunkPages([{ page: null, text: blob }], options);
    expect(pieces.map((c) => c.text.length)).toEqual([1000, 1000, 900]);
  });

  it('fails a file past the chunk cap', () => {
    expect(() => chunkPages([{ page: null, text: prose(300) }], { ...options, maxChunks: 5 })).toThrow(ExtractionError);
    expect(() => chunkPages([{ page: null, text: prose(300) }], { ...options, maxChunks: 5 })).toThrow(/too long/);
  });

  it('gives nothing for no text', () => {
    expect(chunkPages([], options)).toEqual([]);
    expect(chunkPages([{ page: 1, text: '' }], options)).toEqual([]);
  });
});

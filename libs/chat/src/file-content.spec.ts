import {
  MAX_IMAGE_BYTES,
  MAX_INLINE_TEXT_CHARS,
  decodeText,
  fencedFile,
  isTextType,
  sniffImageType,
  userMessageWithFiles,
} from './file-content';
import type { MessageFileRef } from './message.entity';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const GIF = Buffer.from('GIF89a\x01\x00', 'latin1');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);

const ref = (file_id: string, type: string, bytes: number, filename = `${file_id}.bin`): MessageFileRef => ({
  file_id,
  filename,
  type,
  bytes,
});

describe('sniffImageType', () => {
  it('knows PNG, JPEG, GIF and WebP by their first bytes', () => {
    expect(sniffImageType(PNG)).toBe('image/png');
    expect(sniffImageType(JPEG)).toBe('image/jpeg');
    expect(sniffImageType(GIF)).toBe('image/gif');
    expect(sniffImageType(WEBP)).toBe('image/webp');
  });

  it('knows nothing else, nor a truncated header', () => {
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('%PDF-1.7'))).toBeUndefined();
    expect(sniffImageType(PNG.subarray(0, 4))).toBeUndefined();
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVE'))).toBeUndefined();
    expect(sniffImageType(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('text files', () => {
  it('takes text/* and JSON types, with or without parameters', () => {
    expect(isTextType('text/plain; charset=utf-8')).toBe(true);
    expect(isTextType('text/csv')).toBe(true);
    expect(isTextType('application/json')).toBe(true);
    expect(isTextType('application/ld+json')).toBe(true);
    expect(isTextType('application/pdf')).toBe(false);
    expect(isTextType('image/png')).toBe(false);
  });

  it('decodes UTF-8 and refuses binary', () => {
    expect(decodeText(Buffer.from('héllo'))).toBe('héllo');
    expect(decodeText(Buffer.from([0xff, 0xfe, 0x00]))).toBeUndefined();
    expect(decodeText(Buffer.from('a\0b'))).toBeUndefined();
  });

  it('fences a file with a fence longer than any backtick run inside', () => {
    expect(fencedFile('a.md', 'x')).toBe('Attached file "a.md":\n```\nx\n```');
    expect(fencedFile('a.md', 'see ```js\ncode\n```')).toBe('Attached file "a.md":\n````\nsee ```js\ncode\n```\n````');
  });
});

describe('userMessageWithFiles', () => {
  const store = new Map<string, Buffer>([
    ['png', PNG],
    ['jpeg-named-png', JPEG],
    ['fake-png', Buffer.from('not an image')],
    ['notes', Buffer.from('line 1\nline 2')],
    ['long', Buffer.from('x'.repeat(MAX_INLINE_TEXT_CHARS + 1))],
  ]);
  const read = jest.fn((id: string) => Promise.resolve(store.get(id) ?? null));
  beforeEach(() => read.mockClear());

  it('gives images as image parts, typed by their bytes, and inlines small text files after the text', async () => {
    const message = await userMessageWithFiles(
      'What is this?',
      [
        ref('png', 'image/png', PNG.length),
        ref('jpeg-named-png', 'image/png', JPEG.length),
        ref('notes', 'text/plain', 13, 'notes.txt'),
      ],
      read,
    );
    expect(message).toEqual({
      role: 'user',
      content: 'What is this?\n\nAttached file "notes.txt":\n```\nline 1\nline 2\n```',
      images: [
        { mimeType: 'image/png', data: PNG.toString('base64') },
        { mimeType: 'image/jpeg', data: JPEG.toString('base64') },
      ],
    });
  });

  it('names what it does not show: a long text, a PDF, a fake image, a missing file, an image too large', async () => {
    const message = await userMessageWithFiles(
      'Hi',
      [
        ref('long', 'text/plain', MAX_INLINE_TEXT_CHARS + 1, 'long.txt'),
        ref('pdf', 'application/pdf', 1234, 'report.pdf'),
        ref('fake-png', 'image/png', 12, 'fake.png'),
        ref('gone', 'image/png', 12, 'gone.png'),
        ref('huge', 'image/jpeg', MAX_IMAGE_BYTES + 1, 'huge.jpg'),
      ],
      read,
    );
    expect(message.images).toBeUndefined();
    expect(message.content.split('\n\n')).toEqual([
      'Hi',
      `[Attached file "long.txt" (text/plain, ${MAX_INLINE_TEXT_CHARS + 1} bytes): available to the conversation's tools]`,
      `[Attached file "report.pdf" (application/pdf, 1234 bytes): available to the conversation's tools]`,
      '[Attached file "fake.png" (image/png, 12 bytes): an image that could not be read]',
      '[Attached file "gone.png" (image/png, 12 bytes): an image that could not be read]',
      `[Attached file "huge.jpg" (image/jpeg, ${MAX_IMAGE_BYTES + 1} bytes): an image over ${MAX_IMAGE_BYTES} bytes, not shown]`,
    ]);
    // Neither the PDF nor the image too large is read at all.
    expect(read.mock.calls.map(([id]) => id)).toEqual(['long', 'fake-png', 'gone']);
  });

  it('shows at most maxImages images and names the rest without reading them', async () => {
    const message = await userMessageWithFiles(
      '',
      [ref('png', 'image/png', 12, 'a.png'), ref('png', 'image/png', 12, 'b.png')],
      read,
      1,
    );
    expect(message.images).toHaveLength(1);
    expect(message.content).toBe('[Attached file "b.png" (image/png, 12 bytes): an image no longer shown]');
    expect(read).toHaveBeenCalledTimes(1);
  });
});

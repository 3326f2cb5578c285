import { MIME, detect, sniff, zipEntryNames } from './file-types';

/** A minimal ZIP: one local file header per entry name, stored, empty data. */
function zipWith(...names: string[]): Buffer {
  const parts = names.map((name) => {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(Buffer.byteLength(name, 'latin1'), 26);
    return Buffer.concat([header, Buffer.from(name, 'latin1')]);
  });
  return Buffer.concat([...parts, Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(60, 0x90)]);

describe('sniff', () => {
  it.each([
    ['report.pdf', Buffer.from('%PDF-1.7\n...'), MIME.pdf],
    ['a.png', PNG, MIME.png],
    ['a.JPG', JPEG, MIME.jpeg],
    ['a.jpeg', JPEG, MIME.jpeg],
    ['a.gif', Buffer.from('GIF89a....'), MIME.gif],
    ['a.webp', WEBP, MIME.webp],
    ['a.docx', zipWith('[Content_Types].xml', '_rels/.rels', 'word/document.xml'), MIME.docx],
    ['a.xlsx', zipWith('[Content_Types].xml', 'xl/workbook.xml'), MIME.xlsx],
    ['a.pptx', zipWith('[Content_Types].xml', 'ppt/presentation.xml'), MIME.pptx],
    ['notes.txt', Buffer.from('héllo wörld'), MIME.txt],
    ['README.md', Buffer.from('# Title'), MIME.md],
    ['data.csv', Buffer.from('a,b\n1,2'), MIME.csv],
    ['data.json', Buffer.from('{"a": [1, 2]}'), MIME.json],
    ['page.html', Buffer.from('<p>x</p>'), MIME.html],
    ['main.py', Buffer.from('print(1)'), MIME.py],
    ['main.js', Buffer.from('console.log(1)'), MIME.js],
    ['main.ts', Buffer.from('const a: number = 1;'), MIME.ts],
    ['doc.xml', Buffer.from('<a/>'), MIME.xml],
    ['conf.yml', Buffer.from('a: 1'), MIME.yaml],
    ['no-extension', PNG, MIME.png],
    ['plain', Buffer.from('just words'), MIME.txt],
  ])('accepts %s as %s', (name, data, mimeType) => {
    expect(sniff(data, name)).toEqual({ ok: true, kind: expect.any(String), mimeType });
  });

  it.each([
    ['a .pdf that is text', 'fake.pdf', Buffer.from('hello'), /PDF.*text/],
    ['an executable named .png', 'cat.png', EXE, /PNG.*Windows executable/],
    ['a PNG named .pdf', 'x.pdf', PNG, /PDF.*PNG/],
    ['a plain ZIP named .docx', 'x.docx', zipWith('a.txt'), /Word.*ZIP/],
    ['an xlsx named .docx', 'x.docx', zipWith('[Content_Types].xml', 'xl/workbook.xml'), /Word.*Excel/],
    ['binary named .txt', 'x.txt', Buffer.from([0xff, 0xfe, 0x00, 0x41]), /plain text/],
    ['text with a NUL named .csv', 'x.csv', Buffer.from('a,b\0'), /CSV/],
    ['invalid UTF-8 named .md', 'x.md', Buffer.from([0x61, 0xc3, 0x28]), /Markdown/],
    ['invalid JSON', 'x.json', Buffer.from('{"a":'), /JSON/],
    ['a PNG named .txt', 'x.txt', PNG, /plain text.*PNG/],
    ['an executable with no extension', 'setup', EXE, /Windows executable/],
    ['an unknown binary with an unknown extension', 'x.bin', Buffer.from([0, 1, 2, 3]), /unsupported/],
  ])('refuses %s', (_label, name, data, reason) => {
    const result = sniff(data, name);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('detects an empty file as (empty) text', () => {
    expect(detect(Buffer.alloc(0))).toEqual({ kind: 'text' });
  });
});

describe('zipEntryNames', () => {
  it('lists the names of the local headers, ignoring a truncated last header', () => {
    const zip = zipWith('[Content_Types].xml', 'word/document.xml');
    expect(zipEntryNames(zip)).toEqual(['[Content_Types].xml', 'word/document.xml']);
    expect(zipEntryNames(Buffer.concat([zip.subarray(0, 30 + 19), Buffer.from('PK\x03\x04')]))).toEqual([
      '[Content_Types].xml',
    ]);
  });
});

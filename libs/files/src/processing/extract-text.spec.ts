import { AlignmentType, Document, Packer, Paragraph, TextRun } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { extractText } from './extract-text';
import { ExtractionError, type ExtractionLimits } from './extracted-text';
import { decodeEntities, documentKind, htmlToText } from './text-formats';

const limits: ExtractionLimits = { maxChars: 100_000, timeoutMs: 20_000, maxMemoryMb: 256 };

async function pdfWithPages(texts: string[]): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of texts) {
    const page = doc.addPage([595, 842]);
    if (text) page.drawText(text, { x: 50, y: 780, size: 14, font });
  }
  return Buffer.from(await doc.save());
}

async function docxWith(paragraphs: string[]): Promise<Buffer> {
  const doc = new Document({
    sections: [
      {
        children: paragraphs.map(
          (text) => new Paragraph({ alignment: AlignmentType.LEFT, children: [new TextRun(text)] }),
        ),
      },
    ],
  });
  return Packer.toBuffer(doc);
}

const reason = async (work: Promise<unknown>): Promise<string> => {
  try {
    await work;
  } catch (err) {
    expect(err).toBeInstanceOf(ExtractionError);
    return (err as Error).message;
  }
  throw new Error('expected the extraction to fail');
};

describe('extractText', () => {
  it('reads a PDF page by page, with 1-based page numbers', async () => {
    const pdf = await pdfWithPages(['Quarterly revenue grew', 'Costs of the warehouse', 'Outlook for the winter']);
    const { pages } = await extractText(pdf, 'application/pdf', 'report.pdf', limits);
    expect(pages).toEqual([
      { page: 1, text: 'Quarterly revenue grew' },
      { page: 2, text: 'Costs of the warehouse' },
      { page: 3, text: 'Outlook for the winter' },
    ]);
  });

  it('fails a PDF with no text layer, saying so', async () => {
    const pdf = await pdfWithPages(['', '']);
    expect(await reason(extractText(pdf, 'application/pdf', 'scan.pdf', limits))).toMatch(/no extractable text/);
  });

  it('fails a damaged PDF with a reason a user can read', async () => {
    const pdf = await pdfWithPages(['Some text']);
    const broken = Buffer.concat([pdf.subarray(0, 40), Buffer.from('garbage'.repeat(20))]);
    expect(await reason(extractText(broken, 'application/pdf', 'broken.pdf', limits))).toMatch(/not a readable PDF/);
    expect(await reason(extractText(Buffer.from('not a pdf'), 'application/pdf', 'x.pdf', limits))).toMatch(
      /not a readable PDF/,
    );
  });

  it('stops a document that takes longer than the timeout', async () => {
    const pdf = await pdfWithPages(['Some text']);
    const message = await reason(extractText(pdf, 'application/pdf', 'slow.pdf', { ...limits, timeoutMs: 1 }));
    expect(message).toMatch(/took longer than/);
  });

  it('reads the paragraphs of a DOCX', async () => {
    const docx = await docxWith(['Minutes of the meeting', 'The budget was approved.']);
    const mime = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    const { pages } = await extractText(docx, mime, 'minutes.docx', limits);
    expect(pages).toHaveLength(1);
    expect(pages[0].page).toBeNull();
    expect(pages[0].text).toBe('Minutes of the meeting\n\nThe budget was approved.');
  });

  it('fails a file named .docx that is not one', async () => {
    expect(await reason(extractText(Buffer.from('plain'), 'application/octet-stream', 'a.docx', limits))).toMatch(
      /not a readable DOCX/,
    );
  });

  it('reads HTML as the text a reader sees', async () => {
    const html = `<!doctype html><html><head><title>T</title><style>p{color:red}</style>
      <script>var secret = "no";</script></head><body><h1>Annual&nbsp;report</h1>
      <p>Profit &amp; loss &#8212; &#x2713; &unknown;</p><!-- hidden --><table><tr><td>a</td><td>b</td></tr></table></body></html>`;
    const { pages } = await extractText(Buffer.from(html), 'text/html', 'page.html', limits);
    const text = pages[0].text;
    expect(text).toContain('Annual report');
    expect(text).toContain('Profit & loss — ✓ &unknown;');
    expect(text).toMatch(/a\s+b/);
    expect(text).not.toMatch(/secret|color|hidden|</);
  });

  it('reads CSV and Markdown as text, a BOM dropped and line ends normalised', async () => {
    const csv = Buffer.from('\ufeffname,amount\r\nalpha,1\r\nbeta,2\r\n');
    expect((await extractText(csv, 'text/csv', 'data.csv', limits)).pages).toEqual([
      { page: null, text: 'name,amount\nalpha,1\nbeta,2' },
    ]);
    const md = Buffer.from('# Title\n\n\n\n\nBody');
    expect((await extractText(md, 'application/octet-stream', 'notes.md', limits)).pages[0].text).toBe(
      '# Title\n\nBody',
    );
  });

  it('pretty-prints JSON, and keeps invalid JSON as written', async () => {
    const json = Buffer.from('{"name":"alpha","tags":["x","y"]}');
    expect((await extractText(json, 'application/json', 'a.json', limits)).pages[0].text).toBe(
      '{\n  "name": "alpha",\n  "tags": [\n    "x",\n    "y"\n  ]\n}',
    );
    expect((await extractText(Buffer.from('{not json'), 'application/json', 'b.json', limits)).pages[0].text).toBe(
      '{not json',
    );
  });

  it('fails binary data, empty text, unsupported types and text past the cap', async () => {
    expect(await reason(extractText(Buffer.from([0x41, 0, 0x42]), 'text/plain', 'a.txt', limits))).toMatch(/not text/);
    expect(await reason(extractText(Buffer.from('  \n '), 'text/plain', 'a.txt', limits))).toMatch(
      /no extractable text/,
    );
    expect(await reason(extractText(Buffer.from('x'), 'image/png', 'a.png', limits))).toMatch(/image\/png/);
    const big = Buffer.from('word '.repeat(30_000));
    expect(await reason(extractText(big, 'text/plain', 'big.txt', limits))).toMatch(/too much text/);
  });
});

describe('documentKind', () => {
  it.each([
    ['application/pdf', 'a.bin', 'pdf'],
    ['application/octet-stream', 'a.PDF', 'pdf'],
    ['text/markdown', 'a.md', 'text'],
    ['text/csv; charset=utf-8', 'a.csv', 'text'],
    ['application/octet-stream', 'main.py', 'text'],
    ['application/ld+json', 'a', 'json'],
    ['text/html', 'a', 'html'],
    ['image/png', 'a.png', null],
    ['application/zip', 'a.zip', null],
  ])('%s %s → %s', (mime, name, kind) => {
    expect(documentKind(mime, name)).toBe(kind);
  });
});

describe('htmlToText and decodeEntities', () => {
  it('puts blocks on lines of their own and collapses spaces', () => {
    expect(htmlToText('<p>one   two</p><p>three</p>x<br>y')).toBe('one two\n\nthree\nx\ny');
  });
  it('refuses code points that are not characters', () => {
    expect(decodeEntities('&#0;&#xD800;&#x110000;&#65;')).toBe('\ufffd\ufffd\ufffdA');
  });
});

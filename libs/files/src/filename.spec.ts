import { contentDisposition, sanitizeFilename } from './filename';

describe('sanitizeFilename', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\secret.txt', 'secret.txt'],
    ['a\u0000b\u001fc\u007f.txt', 'abc.txt'],
    ['evil\u202Etxt.exe', 'eviltxt.exe'],
    ['  spaced.md  ', 'spaced.md'],
    ['', 'file'],
    ['..', 'file'],
    ['dir/', 'file'],
    ['résumé 📄.pdf', 'résumé 📄.pdf'],
  ])('%p → %p', (raw, clean) => {
    expect(sanitizeFilename(raw)).toBe(clean);
  });

  it('shortens long names to 255 characters, keeping the extension', () => {
    const name = sanitizeFilename(`${'a'.repeat(300)}.pdf`);
    expect(name).toHaveLength(255);
    expect(name.endsWith('.pdf')).toBe(true);
  });

  it('counts characters, not UTF-16 units, and never splits a surrogate pair', () => {
    const name = sanitizeFilename(`${'📄'.repeat(300)}`);
    expect(Array.from(name)).toHaveLength(255);
    expect(name).toBe('📄'.repeat(255));
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name', () => {
    expect(contentDisposition('attachment', 'résumé "1".pdf')).toBe(
      `attachment; filename="r_sum_ _1_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf`,
    );
  });
});

import { CappedOutput, changedFiles, formatBytes, mimeTypeOf, sanitizeFilename } from './workspace-files';

describe('sanitizeFilename', () => {
  it.each([
    ['chart.png', 'chart.png'],
    ['Q1 report (final).xlsx', 'Q1 report (final).xlsx'],
    ['données été.csv', 'données été.csv'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\data.csv', 'data.csv'],
    ['.bashrc', 'bashrc'],
    ['..', 'file'],
    ['', 'file'],
    ['a/b/', 'file'],
    ['$(rm -rf ~);`x`.txt', '_(rm -rf _)_x_.txt'],
    ['tab\there\nnewline.txt', 'tab_here_newline.txt'],
    ['***', 'file'],
  ])('%j → %j', (name, expected) => {
    expect(sanitizeFilename(name)).toBe(expected);
  });

  it('cuts a long name to 120 characters, keeping the extension', () => {
    const clean = sanitizeFilename(`${'a'.repeat(300)}.csv`);
    expect(clean).toHaveLength(120);
    expect(clean.endsWith('a.csv')).toBe(true);
  });
});

describe('mimeTypeOf', () => {
  it.each([
    ['chart.png', 'image/png'],
    ['photo.JPG', 'image/jpeg'],
    ['photo.jpeg', 'image/jpeg'],
    ['plot.svg', 'image/svg+xml'],
    ['data.csv', 'text/csv'],
    ['notes.txt', 'text/plain'],
    ['result.json', 'application/json'],
    ['page.html', 'text/html'],
    ['report.pdf', 'application/pdf'],
    ['table.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['model.pkl', 'application/octet-stream'],
    ['Makefile', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(mimeTypeOf(name)).toBe(type);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [12_300, '12 KB'],
    [50 * 1024 * 1024, '50.0 MB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('CappedOutput', () => {
  it('keeps everything under the limit, with no note', () => {
    const output = new CappedOutput(10);
    output.push(Buffer.from('hello'));
    output.push(Buffer.from('!'));
    expect(output.text()).toBe('hello!');
    expect(output.truncated).toBe(false);
  });

  it('keeps the first bytes, counts the rest and says how much was cut', () => {
    const output = new CappedOutput(8);
    output.push(Buffer.from('0123456'));
    output.push(Buffer.from('789abc'));
    output.push(Buffer.alloc(2048, 'x'));
    expect(output.total).toBe(7 + 6 + 2048);
    expect(output.truncated).toBe(true);
    expect(output.text()).toBe('01234567\n… (output cut: 2 KB more of 2 KB)');
  });

  it('holds no more than the limit however much is pushed', () => {
    const output = new CappedOutput(1024);
    const chunk = Buffer.alloc(64 * 1024, 'y');
    for (let i = 0; i < 1000; i++) output.push(chunk);
    expect(output.text().startsWith('y'.repeat(1024) + '\n…')).toBe(true);
    expect(output.total).toBe(64 * 1024 * 1000);
  });

  it('turns a character cut at the limit into U+FFFD', () => {
    const output = new CappedOutput(1);
    output.push(Buffer.from('é'));
    expect(output.text().startsWith('\uFFFD')).toBe(true);
  });
});

describe('changedFiles', () => {
  it('lists new and changed files, not the untouched ones, in path order', () => {
    const before = new Map([
      ['data.csv', { size: 10, mtimeMs: 1 }],
      ['same.txt', { size: 3, mtimeMs: 1 }],
      ['grown.txt', { size: 3, mtimeMs: 1 }],
      ['touched.txt', { size: 3, mtimeMs: 1 }],
    ]);
    const after = new Map([
      ['data.csv', { size: 10, mtimeMs: 1 }],
      ['same.txt', { size: 3, mtimeMs: 1 }],
      ['grown.txt', { size: 4, mtimeMs: 1 }],
      ['touched.txt', { size: 3, mtimeMs: 2 }],
      ['out/chart.png', { size: 100, mtimeMs: 2 }],
    ]);
    expect(changedFiles(before, after)).toEqual([
      { path: 'grown.txt', size: 4 },
      { path: 'out/chart.png', size: 100 },
      { path: 'touched.txt', size: 3 },
    ]);
  });
});

import { isHttpUrlOrRootPath } from './link';

describe('isHttpUrlOrRootPath', () => {
  it.each([
    'https://cdn.example.com/avatars/a.png',
    'http://localhost:3080/images/a.png',
    'HTTPS://CDN.EXAMPLE.COM/A.PNG',
    'https://cdn.example.com/a.png?size=64#top',
    '/images/a.png',
    '/',
    '/images/a%20b.png',
  ])('accepts %p', (value) => {
    expect(isHttpUrlOrRootPath(value)).toBe(true);
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://files.example.com/a.png',
    '//evil.example/x',
    '/\\evil.example/x',
    '\\\\evil.example\\x',
    '/\t/evil.example/x',
    '/images/a.png\n',
    'https:evil.example/x',
    'https:/evil.example/x',
    'https://',
    'images/a.png',
    'a.png',
    '',
  ])('refuses %p', (value) => {
    expect(isHttpUrlOrRootPath(value)).toBe(false);
  });
});

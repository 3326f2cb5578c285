import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Any ASCII control character or whitespace: URL parsers drop or reinterpret them (`/\t/evil` is `//evil`). */
function hasControlOrSpace(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * A link a client may put in `href` or `src` without running or loading anything unexpected: an
 * absolute `http:`/`https:` URL with a host, or a path on the same origin (`/images/a.png`).
 * Refused: every other scheme (`javascript:`, `data:`, `file:` …), protocol-relative `//host/x`,
 * and backslashes, which browsers read as slashes (`/\host` is `//host`).
 */
export function isHttpUrlOrRootPath(value: string): boolean {
  if (hasControlOrSpace(value) || value.includes('\\')) return false;
  if (value.startsWith('/')) return !value.startsWith('//');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  // `https:host/x` parses as https://host/x; insist on the spelled-out form clients will see.
  const scheme = url.protocol;
  return (
    (scheme === 'http:' || scheme === 'https:') && url.hostname !== '' && value.toLowerCase().startsWith(`${scheme}//`)
  );
}

/** Validates {@link isHttpUrlOrRootPath}; the message names the field. */
export function IsHttpUrlOrRootPath(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHttpUrlOrRootPath',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isHttpUrlOrRootPath(value),
        defaultMessage: () => '$property must be an http:// or https:// URL, or a path starting with a single /',
      },
    },
    options,
  );
}

/** A LIKE/ILIKE pattern matching `text` anywhere; `%`, `_` and `\` in it are literal characters. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

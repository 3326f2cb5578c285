import { UUID_PATTERN } from '@agents/core';
import { cleanTitle, titleUsageId } from './conversation-titler';

describe('cleanTitle', () => {
  it('keeps a plain title as it is', () => {
    expect(cleanTitle('Leave policy for part-time staff')).toBe('Leave policy for part-time staff');
  });

  it('takes the first line, drops a label, quotes, emphasis and a final period, and collapses spaces', () => {
    expect(cleanTitle('\n  "Leave   policy."  \nHere is why I chose it.')).toBe('Leave policy');
    expect(cleanTitle('Title: **Quarterly budget review**')).toBe('Quarterly budget review');
    expect(cleanTitle('« Politique de congés »')).toBe('Politique de congés');
    expect(cleanTitle("'Why is the sky blue?'")).toBe('Why is the sky blue?');
  });

  it('is empty when nothing is left, and at most 200 characters', () => {
    expect(cleanTitle('')).toBe('');
    expect(cleanTitle(' \n "" \n')).toBe('');
    expect(cleanTitle('x'.repeat(500))).toHaveLength(200);
  });
});

describe('titleUsageId', () => {
  it('is a UUID of its own for each answer, the same every time', () => {
    const answer = '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d';
    const id = titleUsageId(answer);
    expect(id).toMatch(UUID_PATTERN);
    expect(id).not.toBe(answer);
    expect(titleUsageId(answer)).toBe(id);
    expect(titleUsageId('1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed')).not.toBe(id);
  });
});

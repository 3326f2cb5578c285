import { toToolResult } from './mcp-result';

describe('toToolResult', () => {
  it('joins the text parts into what the model reads', () => {
    expect(
      toToolResult({
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      }),
    ).toEqual({ output: 'one\ntwo' });
  });

  it('keeps an error result an error, with its text', () => {
    expect(toToolResult({ content: [{ type: 'text', text: 'no such ticket' }], isError: true })).toEqual({
      output: 'no such ticket',
      isError: true,
    });
  });

  it('turns images into attachments, noted in the text', () => {
    expect(toToolResult({ content: [{ type: 'image', data: 'AAAA', mimeType: 'image/jpeg' }] })).toEqual({
      output: '[image: image/jpeg]',
      attachments: [{ type: 'image', mimeType: 'image/jpeg', data: 'AAAA' }],
    });
  });

  it('gives a text resource to the model (bounded) and to the user; a binary one only by name', () => {
    const text = 'x'.repeat(10_000);
    const result = toToolResult({
      content: [
        { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text } },
        { type: 'resource', resource: { uri: 'file:///b.bin', mimeType: 'application/octet-stream', blob: 'AA==' } },
      ],
    });
    expect(result.output).toContain('[resource: file:///a.txt]\nxxx');
    expect(result.output).toContain('… [2000 more characters cut]');
    expect(result.output).toContain('[resource: file:///b.bin (application/octet-stream)]');
    expect(result.output.length).toBeLessThan(8_200);
    expect(result.attachments).toEqual([
      { type: 'resource', uri: 'file:///a.txt', mimeType: 'text/plain', text },
      { type: 'resource', uri: 'file:///b.bin', mimeType: 'application/octet-stream' },
    ]);
  });

  it('stands structured content in for missing text, and leaves it out beside text', () => {
    expect(toToolResult({ content: [], structuredContent: { temperature: 21 } })).toEqual({
      output: '{"temperature":21}',
    });
    expect(
      toToolResult({ content: [{ type: 'text', text: '21 °C' }], structuredContent: { temperature: 21 } }),
    ).toEqual({ output: '21 °C' });
  });

  it('says so when a tool returns nothing, and reads the old protocol’s toolResult', () => {
    expect(toToolResult({ content: [] })).toEqual({ output: '(the tool returned no content)' });
    expect(toToolResult({ toolResult: { ok: true } })).toEqual({ output: '{"ok":true}' });
  });
});

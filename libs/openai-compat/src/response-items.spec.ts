import { expectSchema } from '@agents/testing/openai-schemas';
import {
  hostedToolOf,
  jsonObjectOf,
  outputItemId,
  outputItemsOf,
  sourceUrl,
  toolCallItem,
  toolIdOf,
} from './response-items';
import { responseIdOfItem } from './responses.repository';

describe('hosted tools', () => {
  it('shows the web search as itself', () => {
    expect(hostedToolOf('web_search')).toEqual({ type: 'web_search' });
  });

  it.each([
    ['read_file_mcp_files', 'files', 'read_file'],
    ['get_mcp_info_mcp_srv', 'srv', 'get_mcp_info'],
    ['calculator', 'agents', 'calculator'],
  ])('shows the tool %s as a call to server %s’s %s, and maps it back', (toolId, serverLabel, name) => {
    expect(hostedToolOf(toolId)).toEqual({ type: 'mcp', serverLabel, name });
    expect(toolIdOf(serverLabel, name)).toBe(toolId);
  });
});

describe('output items', () => {
  it('names each item after its response and place, and finds the response again', () => {
    expect(outputItemId('abc', 'message', 0)).toBe('msg_abc');
    expect(outputItemId('abc', 'mcp_call', 2)).toBe('mcp_abc_2');
    expect(outputItemId('abc', 'web_search_call', 1)).toBe('ws_abc_1');
    for (const id of ['msg_abc', 'mcp_abc_2', 'ws_abc_1', 'msg_abc_4']) expect(responseIdOfItem(id)).toBe('resp_abc');
    expect(responseIdOfItem('rs_abc')).toBeUndefined();
  });

  it('is a web search without query or sources while its arguments stream, valid all the same', () => {
    const item = toolCallItem('ws_1', { id: 'c', name: 'web_search', args: '{"que' }, [], true);
    expect(item).toEqual({ type: 'web_search_call', id: 'ws_1', status: 'in_progress', action: { type: 'search' } });
    expectSchema('OutputItem', item);
  });

  it('takes the query of a search whose arguments hold none from its citations', () => {
    const item = toolCallItem(
      'ws_1',
      { id: 'c', name: 'web_search', args: '', output: 'results' },
      [{ type: 'citations', toolCallId: 'c', messageId: 'm', conversationId: null, query: 'q', citations: [] }],
      false,
    );
    expect(item).toMatchObject({ status: 'completed', action: { type: 'search', query: 'q', queries: ['q'] } });
  });

  it('marks a call whose output is the worker’s error as failed', () => {
    const failed = (name: string) =>
      toolCallItem('id', { id: 'c', name, args: '{}', output: 'Error: backend unreachable' }, [], false);
    expect(failed('web_search')).toMatchObject({ type: 'web_search_call', status: 'failed' });
    expect(failed('calculator')).toMatchObject({
      type: 'mcp_call',
      status: 'failed',
      output: 'Error: backend unreachable',
      error: null,
    });
    expectSchema('OutputItem', failed('web_search'));
  });

  it('leaves reasoning out and joins the text around it into one message', () => {
    const items = outputItemsOf(
      [
        { type: 'think', think: 'a' },
        { type: 'text', text: 'X' },
        { type: 'think', think: 'b' },
        { type: 'text', text: 'Y' },
      ],
      [],
      'k',
      'completed',
    );
    expect(items).toEqual([
      expect.objectContaining({ id: 'msg_k', content: [expect.objectContaining({ text: 'XY' })] }),
    ]);
  });
});

describe('helpers', () => {
  it('knows arguments are complete when they parse as a JSON object', () => {
    expect(jsonObjectOf('{"a": 1')).toBeUndefined();
    expect(jsonObjectOf('{"a": "}"')).toBeUndefined();
    expect(jsonObjectOf('{"a": 1} ')).toEqual({ a: 1 });
    expect(jsonObjectOf('[1]')).toBeUndefined();
  });

  it.each([
    ['https://example.com/docs?q=1#top', 'https://example.com/docs?q=1#top'],
    ['https://example.com/a|b?x=[1]^', 'https://example.com/a%7Cb?x=%5B1%5D%5E'],
    ['https://user:pw@example.com/é p', 'https://example.com/%C3%A9%20p'],
    ['https://例え.jp/', 'https://xn--r8jz45g.jp/'],
    ['ftp://example.com/file', undefined],
    ['not a url', undefined],
  ])('writes the source %s as %s, a URI OpenAI’s schema accepts', (raw, expected) => {
    const url = sourceUrl(raw);
    expect(url).toBe(expected);
    if (url !== undefined) {
      expectSchema('OutputItem', {
        type: 'web_search_call',
        id: 'ws_1',
        status: 'completed',
        action: { type: 'search', sources: [{ type: 'url', url }] },
      });
    }
  });
});

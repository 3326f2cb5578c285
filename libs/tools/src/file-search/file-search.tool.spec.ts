import type { FileExcerpt, ToolCallContext, ToolFileRef, ToolFiles } from '../tool';
import { FILE_SEARCH_RESULTS, FileSearchTool } from './file-search.tool';

/** ToolFiles over fixed files and excerpts, recording the searches. */
function fakeFiles(files: ToolFileRef[], excerpts: FileExcerpt[]) {
  const searches: [string, number][] = [];
  const toolFiles: ToolFiles = {
    list: (resource) => Promise.resolve(resource === 'file_search' ? files : []),
    read: () => Promise.reject(new Error('not used')),
    search: (query, limit) => {
      searches.push([query, limit]);
      return Promise.resolve(excerpts.slice(0, limit));
    },
    save: () => Promise.reject(new Error('not used')),
  };
  return { toolFiles, searches };
}

function context(files?: ToolFiles, signal = new AbortController().signal): ToolCallContext {
  return { signal, userId: 'u', agentId: 'a', conversationId: 'c', messageId: 'm', toolCallId: 't', files };
}

const report: ToolFileRef = { id: 'f1', filename: 'report.pdf', mimeType: 'application/pdf', bytes: 10 };
const notes: ToolFileRef = { id: 'f2', filename: 'notes.md', mimeType: 'text/markdown', bytes: 10 };

describe('FileSearchTool', () => {
  const tool = new FileSearchTool();

  it('numbers the excerpts for the model and cites them for the user', async () => {
    const long = `Revenue rose. ${'More detail. '.repeat(40)}`;
    const { toolFiles, searches } = fakeFiles(
      [report, notes],
      [
        { fileId: 'f1', filename: 'report.pdf', page: 3, text: 'Revenue grew 12% in the third quarter.', score: 0.5 },
        { fileId: 'f2', filename: 'notes.md', page: null, text: long, score: 0.2 },
      ],
    );
    const result = await tool.call({ query: ' revenue growth ' }, context(toolFiles));
    expect(searches).toEqual([['revenue growth', FILE_SEARCH_RESULTS]]);
    expect(result.isError).toBeUndefined();
    expect(result.output).toContain('[1] report.pdf, page 3:\nRevenue grew 12% in the third quarter.');
    expect(result.output).toContain(`[2] notes.md:\n${long}`);
    expect(result.output).toMatch(/Cite as \[n\]\.$/);
    expect(result.attachments).toEqual([
      {
        type: 'citations',
        query: 'revenue growth',
        citations: [
          {
            index: 1,
            title: 'report.pdf',
            url: '/api/files/f1/content',
            snippet: 'Revenue grew 12% in the third quarter.',
            source: 'file_search',
            fileId: 'f1',
            page: 3,
          },
          expect.objectContaining({
            index: 2,
            title: 'notes.md',
            fileId: 'f2',
            page: null,
            url: '/api/files/f2/content',
          }),
        ],
      },
    ]);
    const second = (result.attachments![0] as { citations: { snippet: string }[] }).citations[1];
    expect(second.snippet.length).toBeLessThanOrEqual(300);
    expect(second.snippet.endsWith('…')).toBe(true);
  });

  it('says plainly, not as an error, when there are no files or no match', async () => {
    const none = await tool.call({ query: 'x' }, context(fakeFiles([], []).toolFiles));
    expect(none).toEqual({ output: expect.stringMatching(/no files to search/) });
    const miss = await tool.call({ query: 'unicorns' }, context(fakeFiles([report], []).toolFiles));
    expect(miss).toEqual({ output: expect.stringMatching(/No passage of the 1 file\(s\) matches "unicorns"/) });
  });

  it('fails without files set up, or without a query', async () => {
    expect(await tool.call({ query: 'x' }, context())).toEqual({
      output: expect.stringMatching(/^Error: file search is not available/),
      isError: true,
    });
    const { toolFiles, searches } = fakeFiles([report], []);
    for (const args of [{}, { query: '  ' }, { query: 42 }, { query: 'q'.repeat(1_001) }]) {
      expect((await tool.call(args, context(toolFiles))).isError).toBe(true);
    }
    expect(searches).toEqual([]);
  });

  it('rejects when the call is aborted', async () => {
    const abort = new AbortController();
    abort.abort(new Error('stopped'));
    await expect(tool.call({ query: 'x' }, context(fakeFiles([report], []).toolFiles, abort.signal))).rejects.toThrow(
      'stopped',
    );
  });

  it('describes itself as the builtin file_search with a query parameter', () => {
    expect(tool).toMatchObject({ id: 'file_search', source: 'builtin', parameters: { required: ['query'] } });
  });
});

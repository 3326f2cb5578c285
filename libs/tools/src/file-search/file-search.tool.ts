import type { Citation, FileExcerpt, ServerTool, ToolCallContext, ToolResult } from '../tool';

/** Excerpts handed to the model per search. */
export const FILE_SEARCH_RESULTS = 8;
/** The longest query searched. */
const MAX_QUERY_LENGTH = 1_000;
/** The snippet of an excerpt shown beside its citation. */
const SNIPPET_CHARS = 300;

/**
 * Searches the files of the agent and the conversation (full text, ranked) and hands the model
 * numbered excerpts to cite, and the user the same excerpts as a citations attachment linking to
 * each file.
 */
export class FileSearchTool implements ServerTool {
  readonly id = 'file_search';
  readonly name = 'File Search';
  readonly description =
    "Searches the text of the agent's and the conversation's files; results come back as numbered excerpts to cite as [1], [2], …";
  readonly source = 'builtin' as const;
  readonly parameters = {
    type: 'object',
    properties: { query: { type: 'string', description: 'Keywords or a phrase to look for in the files' } },
    required: ['query'],
    additionalProperties: false,
  };

  async call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    if (!context.files) return failure('file search is not available here (files are not set up)');
    const query = typeof args.query === 'string' ? args.query.trim() : '';
    if (!query) return failure('the argument "query" must be a non-empty string saying what to look for');
    if (query.length > MAX_QUERY_LENGTH) {
      return failure(`the query is ${query.length} characters long; the limit is ${MAX_QUERY_LENGTH}`);
    }
    const files = await context.files.list('file_search');
    context.signal.throwIfAborted();
    if (files.length === 0)
      return { output: 'There are no files to search: none is attached to the agent or to this conversation.' };
    const excerpts = await context.files.search(query, FILE_SEARCH_RESULTS);
    context.signal.throwIfAborted();
    if (excerpts.length === 0) {
      return { output: `No passage of the ${files.length} file(s) matches "${query}". Try other keywords.` };
    }
    return found(query, excerpts);
  }
}

/** The excerpts numbered for the model, and the same numbers in the citations the user sees. */
function found(query: string, excerpts: readonly FileExcerpt[]): ToolResult {
  const citations: Citation[] = excerpts.map((excerpt, i) => ({
    index: i + 1,
    title: excerpt.filename,
    url: `/api/files/${excerpt.fileId}/content`,
    snippet: snippet(excerpt.text),
    source: 'file_search',
    fileId: excerpt.fileId,
    page: excerpt.page,
  }));
  const passages = excerpts.map(
    (excerpt, i) =>
      `[${i + 1}] ${excerpt.filename}${excerpt.page !== null ? `, page ${excerpt.page}` : ''}:\n${excerpt.text}`,
  );
  return {
    output: [`Excerpts of the files for "${query}":`, ...passages, 'Cite as [n].'].join('\n\n'),
    attachments: [{ type: 'citations', query, citations }],
  };
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= SNIPPET_CHARS ? flat : `${flat.slice(0, SNIPPET_CHARS - 1)}…`;
}

function failure(reason: string): ToolResult {
  return { output: `Error: ${reason}`, isError: true };
}

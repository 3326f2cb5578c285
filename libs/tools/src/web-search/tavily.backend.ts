import { SearchFailure, type SearchBackend, type SearchHit, type SearchOptions } from './search-backend';
import { endpoint, fetchJson } from './search-http';
import { objectsIn, toHits } from './search-hits';

export const TAVILY_URL = 'https://api.tavily.com';

/** A result of Tavily's search, as far as it is read. */
interface TavilyResult {
  title?: unknown;
  url?: unknown;
  content?: unknown;
  published_date?: unknown;
}

/** Tavily's search API: `POST /search` with a JSON body and a bearer key. */
export class TavilyBackend implements SearchBackend {
  readonly name = 'Tavily';

  constructor(
    private readonly apiKey: string,
    private readonly baseUrl: string = TAVILY_URL,
  ) {}

  async search(query: string, { maxResults, signal }: SearchOptions): Promise<SearchHit[]> {
    const body = await fetchJson({
      backend: this.name,
      url: endpoint(this.baseUrl, '/search'),
      method: 'POST',
      headers: { Authorization: `Bearer ${this.apiKey}` },
      body: { query, max_results: maxResults, search_depth: 'basic' },
      signal,
      secrets: [this.apiKey],
    });
    const results = (body as { results?: unknown } | null)?.results;
    if (!Array.isArray(results)) throw new SearchFailure(`${this.name}'s answer has no results list`);
    return toHits(
      objectsIn<TavilyResult>(results).map((result) => ({
        title: result.title,
        url: result.url,
        snippet: result.content,
        source: 'tavily',
        publishedAt: result.published_date,
      })),
      maxResults,
    );
  }
}

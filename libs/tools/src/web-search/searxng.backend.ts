import { SearchFailure, type SearchBackend, type SearchHit, type SearchOptions } from './search-backend';
import { endpoint, fetchJson } from './search-http';
import { objectsIn, toHits } from './search-hits';

/** A result of SearXNG's JSON output, as far as it is read. */
interface SearxngResult {
  url?: unknown;
  title?: unknown;
  content?: unknown;
  engine?: unknown;
  publishedDate?: unknown;
}

/**
 * A SearXNG instance: `GET /search?q=…&format=json`, no key. It answers the JSON format only when
 * its settings.yml lists `json` under `search.formats`; otherwise it refuses with 403.
 */
export class SearxngBackend implements SearchBackend {
  readonly name = 'SearXNG';

  constructor(private readonly baseUrl: string) {}

  async search(query: string, { maxResults, signal }: SearchOptions): Promise<SearchHit[]> {
    const body = await fetchJson({
      backend: this.name,
      url: endpoint(this.baseUrl, '/search', { q: query, format: 'json', pageno: '1' }),
      signal,
      hints: { 403: 'is the json format enabled (search.formats in its settings.yml)?' },
    });
    const results = (body as { results?: unknown } | null)?.results;
    if (!Array.isArray(results)) throw new SearchFailure(`${this.name}'s answer has no results list`);
    // SearXNG has no count parameter: it returns a page, cut here.
    return toHits(
      objectsIn<SearxngResult>(results).map((result) => ({
        title: result.title,
        url: result.url,
        snippet: result.content,
        source: typeof result.engine === 'string' && result.engine ? result.engine : 'searxng',
        publishedAt: result.publishedDate,
      })),
      maxResults,
    );
  }
}

import { SearchFailure, type SearchBackend, type SearchHit, type SearchOptions } from './search-backend';
import { endpoint, fetchJson } from './search-http';
import { objectsIn, toHits } from './search-hits';

export const BRAVE_URL = 'https://api.search.brave.com';

/** A web result of Brave's search, as far as it is read. */
interface BraveResult {
  title?: unknown;
  url?: unknown;
  description?: unknown;
  /** ISO time of the page, when Brave knows it. */
  page_age?: unknown;
  /** The same in words ("2 days ago", "March 3, 2024"). */
  age?: unknown;
}

/** Brave's Web Search API: `GET /res/v1/web/search?q=…&count=…` with a subscription token. */
export class BraveBackend implements SearchBackend {
  readonly name = 'Brave';

  constructor(
    private readonly apiKey: string,
    private readonly baseUrl: string = BRAVE_URL,
  ) {}

  async search(query: string, { maxResults, signal }: SearchOptions): Promise<SearchHit[]> {
    const body = await fetchJson({
      backend: this.name,
      url: endpoint(this.baseUrl, '/res/v1/web/search', { q: query, count: String(maxResults) }),
      headers: { 'X-Subscription-Token': this.apiKey },
      signal,
      secrets: [this.apiKey],
    });
    if (!body || typeof body !== 'object') throw new SearchFailure(`${this.name}'s answer is not an object`);
    // Brave leaves `web` out when nothing matched.
    const web = (body as { web?: { results?: unknown } | null }).web;
    if (web === undefined || web === null) return [];
    if (!Array.isArray(web.results)) throw new SearchFailure(`${this.name}'s answer has no results list`);
    return toHits(
      objectsIn<BraveResult>(web.results).map((result) => ({
        title: result.title,
        url: result.url,
        snippet: result.description,
        source: 'brave',
        publishedAt: result.page_age ?? result.age,
      })),
      maxResults,
    );
  }
}

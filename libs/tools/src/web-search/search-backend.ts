/** One result of a search, cleaned: plain text, an http(s) URL. */
export interface SearchHit {
  title: string;
  url: string;
  snippet: string;
  /** The engine that found it (SearXNG names one per result), else the backend's name. */
  source: string;
  publishedAt?: string;
}

export interface SearchOptions {
  /** The most results wanted; a backend returns no more. */
  maxResults: number;
  /** Fires on the caller's abort and on the search's timeout; the request stops with it. */
  signal: AbortSignal;
}

/** A search API the web_search tool can ask: SearXNG, Tavily or Brave. */
export interface SearchBackend {
  /** Its name in messages ("Brave answered 401 …"). */
  readonly name: string;
  /**
   * The results for `query`, best first. Rejects with a SearchFailure when the API refuses or
   * answers nonsense, and with the signal's reason when the signal fires.
   */
  search(query: string, options: SearchOptions): Promise<SearchHit[]>;
}

/** A search that failed for a reason worth telling the model and the user: its message says which. */
export class SearchFailure extends Error {
  override readonly name = 'SearchFailure';
}

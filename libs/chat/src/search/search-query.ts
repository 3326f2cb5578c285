/**
 * The text-search vocabulary of message and title search: one configuration, markers and headline
 * options, shared by the repository's SQL and the docs.
 */

/**
 * The text-search configuration of `messages.tsv` and `conversations.title_tsv` (migration
 * 1765800000001) and of every query against them. `english` stems ("running" finds "run") and drops
 * stop words. It is not configurable: the stored vectors were built with it, and a query parsed
 * with another configuration would silently miss words. Changing it takes a migration.
 */
export const SEARCH_CONFIG = 'english';

/** Where a snippet's match starts and ends. The text's own « and » are shown as ‹ and › in snippets. */
export const MATCH_START = '«';
export const MATCH_END = '»';

/**
 * How much of a message is searchable: the first 100,000 characters, as `messages.tsv` is built
 * (migration 1765800000001). Headlines read the same part.
 */
export const INDEXED_CHARACTERS = 100_000;

/** The longest search accepted, in characters. */
export const MAX_SEARCH_LENGTH = 200;

/**
 * ts_headline's options: up to two fragments of 8–30 words around the matches, joined by " … ".
 * A headline reads the whole text, so only the rows of the page returned get one.
 */
export const HEADLINE_OPTIONS =
  `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxWords=30, MinWords=8, ShortWord=2, ` +
  `MaxFragments=2, FragmentDelimiter=" … "`;

/** `$n` parsed as a web search (quotes, or, -) with the search configuration. */
export const tsquery = (param: string): string => `websearch_to_tsquery('${SEARCH_CONFIG}', ${param})`;

/**
 * A headline of `text` (its searchable part) for `query`: the text's own « and » become ‹ and ›
 * first, so that in the result « and » only ever mark matches.
 */
export const headline = (text: string, query: string): string =>
  `ts_headline('${SEARCH_CONFIG}', translate(left(${text}, ${INDEXED_CHARACTERS}), '${MATCH_START}${MATCH_END}', '‹›'), ` +
  `${query}, '${HEADLINE_OPTIONS}')`;

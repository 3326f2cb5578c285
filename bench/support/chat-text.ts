/**
 * Generated chat text for the search bench: words drawn with Zipf-like frequencies (rank k with
 * probability ∝ 1/k) from a vocabulary of {@link VOCABULARY_SIZE} words. The first ranks are
 * common English words (stop words among them, as in real text); the long tail is pronounceable
 * made-up words of two or three consonant-vowel syllables, word k spelled from k's digits in base 40,
 * so SQL (`bench_words(n)`) and TypeScript (`wordOfRank(k)`) spell every rank the same way.
 */
export const VOCABULARY_SIZE = 30_000;

/** The most frequent words first, roughly in the order of English usage, with chat and work words mixed in. */
export const COMMON_WORDS = `the of and to a in is you that it for on with as this was be are have not at or
by from but what all can your an they we about if will one which do there their so has more would how
when use time data project can team question answer code user report plan system model file example
need work like make good first new also should some could other into only then these them just than
because over most after before well where through back any after help change value test error issue
customer meeting budget review design support release version server query table price order account
email policy contract schedule invoice product feature request service process result number list
summary draft update note article chapter letter document image chart graph function variable
language python script database index search token message thread agent tool prompt context memory
week month year today morning evening office travel flight hotel train weather lunch dinner coffee
market sales revenue cost profit growth risk strategy goal metric target quarter annual forecast
student lesson course exam homework teacher school library book story poem recipe kitchen garden
music movie game sport football health doctor sleep exercise water energy power network security
password login browser phone laptop screen keyboard printer camera video audio voice sound light
color paper pencil table chair window door house street city country river mountain forest ocean`
  .split(/\s+/)
  .filter((word, i, all) => word && all.indexOf(word) === i);

/** 40 consonant-vowel syllables: a made-up word's spelling is unambiguous. */
export const SYLLABLES = [...'bdfklmprstvz'.slice(0, 8)].flatMap((c) => [...'aeiou'].map((v) => c + v));

/** The word of rank k (1-based), as bench_words spells it. */
export function wordOfRank(k: number): string {
  if (k <= COMMON_WORDS.length) return COMMON_WORDS[k - 1];
  const s = (i: number): string => SYLLABLES[i % 40];
  return s(k) + s(Math.floor(k / 40)) + (k >= 1600 ? s(Math.floor(k / 1600)) : '');
}

const sqlArray = (words: string[]): string => `ARRAY[${words.map((w) => `'${w}'`).join(',')}]`;

/**
 * `bench_words(n)`: n words drawn with P(rank k) ∝ 1/k (k = floor(exp(random() · ln V))), joined by
 * spaces, the first one capitalised and a full stop at the end.
 */
export const BENCH_WORDS_FUNCTION_SQL = `
  CREATE FUNCTION bench_words(n int) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT initcap(left(t, 1)) || substr(t, 2) || '.'
    FROM (
      SELECT string_agg(
               CASE WHEN k <= ${COMMON_WORDS.length} THEN (${sqlArray(COMMON_WORDS)})[k]
                    ELSE s[1 + k % 40] || s[1 + (k / 40) % 40] || CASE WHEN k >= 1600 THEN s[1 + (k / 1600) % 40] ELSE '' END
               END, ' ') AS t
      FROM (SELECT floor(exp(random() * ln(${VOCABULARY_SIZE})))::int AS k FROM generate_series(1, n)) r,
           (SELECT ${sqlArray(SYLLABLES)} AS s) syl
    ) x
  $$`;

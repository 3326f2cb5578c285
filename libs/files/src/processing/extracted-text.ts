/** One page of a document's text; `page` is 1-based for paged documents (PDF), null otherwise. */
export interface ExtractedPage {
  page: number | null;
  text: string;
}

export interface ExtractedText {
  pages: ExtractedPage[];
}

/**
 * A file whose text cannot be had: a damaged or encrypted document, one with no text layer, one
 * past the limits. Its message is what the user reads as the file's `error`, so it says what is
 * wrong with the file in plain words and never carries a stack or a library's internals.
 */
export class ExtractionError extends Error {
  override readonly name = 'ExtractionError';
}

/** What one extraction may cost. */
export interface ExtractionLimits {
  /** Characters of text in all; a file with more fails (it would flood the index). */
  maxChars: number;
  /** Wall-clock time of the extraction; past it the work is stopped and the file fails. */
  timeoutMs: number;
  /** Heap of the thread that parses a PDF or DOCX; a document needing more fails. */
  maxMemoryMb: number;
}

export const DEFAULT_EXTRACTION_LIMITS: ExtractionLimits = {
  maxChars: 5_000_000,
  timeoutMs: 60_000,
  maxMemoryMb: 512,
};

import { Worker } from 'node:worker_threads';
import { DOCUMENT_PROGRAM, type DocumentJob, type DocumentReply } from './document-program';
import { ExtractionError, type ExtractedPage, type ExtractedText, type ExtractionLimits } from './extracted-text';
import { documentKind, extractHtml, extractJson, extractPlainText, type DocumentKind } from './text-formats';

/**
 * The text of a file, by page where the format has pages. Rejects with an ExtractionError saying
 * why when the file has no text to give: an unsupported type, a damaged document, a PDF with no
 * text layer (a scan), more text than `limits.maxChars`, or work past `limits.timeoutMs`.
 */
export async function extractText(
  data: Buffer,
  mimeType: string,
  filename: string,
  limits: ExtractionLimits,
): Promise<ExtractedText> {
  const kind = documentKind(mimeType, filename);
  if (!kind) throw new ExtractionError(`Text cannot be extracted from files of type ${mimeType}`);
  const extracted = await extractKind(kind, data, limits);
  const pages = extracted.pages.map(tidyPage);
  const chars = pages.reduce((sum, page) => sum + page.text.length, 0);
  if (chars > limits.maxChars) {
    throw new ExtractionError(
      `The file holds too much text (${chars.toLocaleString('en-US')} characters; the limit is ${limits.maxChars.toLocaleString('en-US')})`,
    );
  }
  if (chars === 0 || pages.every((page) => page.text.trim() === '')) {
    throw new ExtractionError(
      kind === 'pdf'
        ? 'The PDF has no extractable text (it may be a scan or consist of images)'
        : 'The file has no extractable text',
    );
  }
  return { pages };
}

function extractKind(kind: DocumentKind, data: Buffer, limits: ExtractionLimits): Promise<ExtractedText> {
  if (kind === 'pdf' || kind === 'docx') return extractDocument(kind, data, limits);
  // Past this size even reading the text in would blow the cap (UTF-8 is at least a byte a character).
  if (data.length > limits.maxChars * 4) {
    return Promise.reject(new ExtractionError('The file holds too much text to index'));
  }
  try {
    switch (kind) {
      case 'text':
        return Promise.resolve(extractPlainText(data));
      case 'json':
        return Promise.resolve(extractJson(data));
      case 'html':
        return Promise.resolve(extractHtml(data));
    }
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** Line ends normalised, trailing spaces and runs of blank lines dropped. */
function tidyPage(page: ExtractedPage): ExtractedPage {
  const text = page.text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { page: page.page, text };
}

/** Reads a PDF or DOCX in a worker thread with a heap limit, terminated at the timeout. */
function extractDocument(kind: 'pdf' | 'docx', data: Buffer, limits: ExtractionLimits): Promise<ExtractedText> {
  const job: DocumentJob = {
    kind,
    data: new Uint8Array(data),
    unpdfPath: require.resolve('unpdf'),
    mammothPath: require.resolve('mammoth'),
  };
  return new Promise<ExtractedText>((resolve, reject) => {
    const worker = new Worker(DOCUMENT_PROGRAM, {
      eval: true,
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: limits.maxMemoryMb },
      stdout: true,
      stderr: true,
    });
    // PDF.js warns on the console about damaged files: not for the service's log.
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(new ExtractionError(`Reading the document took longer than ${Math.round(limits.timeoutMs / 1000)} s`)),
        ),
      limits.timeoutMs,
    );
    worker.once('message', (reply: DocumentReply) =>
      settle(() => ('error' in reply ? reject(new ExtractionError(reply.error)) : resolve({ pages: reply.pages }))),
    );
    worker.once('error', (err: Error & { code?: string }) =>
      settle(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new ExtractionError(`The document needs more than ${limits.maxMemoryMb} MB of memory to read`)
            : err,
        ),
      ),
    );
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`The document reader stopped unexpectedly (exit code ${code})`))),
    );
  });
}

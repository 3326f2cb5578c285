/*
 * The program a worker thread runs to read a PDF (unpdf) or a DOCX (mammoth), as source text so it
 * runs the same from the TypeScript sources (tests) and the compiled build. Parsing an uploaded
 * document is the riskiest work the service does — a crafted file can spin or eat memory — so it
 * happens off the event loop, in a thread with a heap limit that the parent terminates at its
 * timeout. It answers with one message, `{pages}` or `{error}` (a reason a user can read).
 */

/** What the thread gets as its workerData. */
export interface DocumentJob {
  kind: 'pdf' | 'docx';
  data: Uint8Array;
  /** The libraries' entry points, resolved by the parent. */
  unpdfPath: string;
  mammothPath: string;
}

export type DocumentReply = { pages: { page: number | null; text: string }[] } | { error: string };

export const DOCUMENT_PROGRAM = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

async function readPdf(data) {
  const { getDocumentProxy, extractText } = require(workerData.unpdfPath);
  let pdf;
  try {
    pdf = await getDocumentProxy(data);
  } catch (err) {
    const name = err && err.name;
    if (name === 'PasswordException') return { error: 'The PDF is password-protected' };
    return { error: 'The file is not a readable PDF (it may be damaged)' };
  }
  try {
    const { text } = await extractText(pdf, { mergePages: false });
    return { pages: text.map((t, i) => ({ page: i + 1, text: t })) };
  } catch {
    return { error: 'The text of the PDF could not be read (it may be damaged)' };
  }
}

async function readDocx(data) {
  const mammoth = require(workerData.mammothPath);
  try {
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(data) });
    return { pages: [{ page: null, text: value }] };
  } catch {
    return { error: 'The file is not a readable DOCX document (it may be damaged)' };
  }
}

(workerData.kind === 'pdf' ? readPdf(workerData.data) : readDocx(workerData.data)).then(
  (reply) => parentPort.postMessage(reply),
  () => parentPort.postMessage({ error: 'The document could not be read' }),
);
`;

import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { CodeInterpreterSettings } from '@agents/core';
import type { ServerTool, ToolAttachment, ToolCallContext, ToolFiles, ToolResult } from '../tool';
import {
  findProgram,
  resolvePython,
  runInSandbox,
  SANDBOX_UID,
  type SandboxLimits,
  type SandboxRun,
  type SandboxTools,
} from './python-sandbox';
import {
  changedFiles,
  formatBytes,
  mimeTypeOf,
  readWrittenFile,
  sanitizeFilename,
  snapshotFiles,
} from './workspace-files';

export interface CodeInterpreterOptions {
  /** Where the working folders live (`<DATA_DIR>/code`): one per conversation, kept between calls. */
  workRoot: string;
}

/** Whether the tool can be offered, and why not. */
export type CodeInterpreterProbe = { available: true; tools: SandboxTools } | { available: false; reason: string };

/** The longest code accepted. */
const MAX_CODE_LENGTH = 100_000;
/** Files handed back per call, and the largest one. */
const MAX_RESULT_FILES = 10;
const MAX_RESULT_FILE_BYTES = 10 * 1024 * 1024;

const FIXED_LIMITS = {
  processes: 64,
  fileSizeBytes: 50 * 1024 * 1024,
  openFiles: 256,
  tmpBytes: 64 * 1024 * 1024,
  outputBytes: 64 * 1024,
  outputKillBytes: 4 * 1024 * 1024,
};

/**
 * Runs Python 3 code (numpy, pandas, matplotlib) in a bubblewrap sandbox: no network, nothing of
 * the service's files or environment, CPU, wall-time, memory, process, file-size and output limits.
 * A conversation keeps its working folder between calls; the conversation's code_interpreter files
 * are copied in, and the files the code writes come back as stored files.
 */
export class CodeInterpreterTool implements ServerTool {
  readonly id = 'code_interpreter';
  readonly name = 'Code Interpreter';
  readonly description =
    'Runs Python 3 code in a sandbox without network access (numpy, pandas and matplotlib are installed). ' +
    "The working directory holds the user's files and persists within the conversation; files the code " +
    'writes there (charts, CSV…) are returned to the user. Print what you want to see.';
  readonly source = 'builtin' as const;
  readonly parameters = {
    type: 'object',
    properties: {
      lang: { type: 'string', enum: ['py', 'python'], description: 'The language: Python only' },
      code: { type: 'string', description: 'The Python 3 code to run' },
    },
    required: ['code'],
    additionalProperties: false,
  };
  /** Room for the code's own time limit plus copying files in and out. */
  readonly timeoutMs: number;

  private static readonly probes = new Map<string, Promise<CodeInterpreterProbe>>();
  private readonly limits: SandboxLimits;
  /** One call at a time per working folder: two runs would see each other's files as their own. */
  private readonly folderLocks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly settings: CodeInterpreterSettings,
    private readonly options: CodeInterpreterOptions,
  ) {
    this.limits = { ...FIXED_LIMITS, timeoutSeconds: settings.timeoutSeconds, memoryMb: settings.memoryMb };
    this.timeoutMs = (settings.timeoutSeconds + 30) * 1000;
  }

  /**
   * Whether Python is there and the sandbox runs it (asked once per setting, then remembered). Given
   * the work root, the trial runs in a folder of it, which also proves the sandbox can reach it.
   */
  static async probe(settings: CodeInterpreterSettings, options?: CodeInterpreterOptions): Promise<boolean> {
    return (await CodeInterpreterTool.diagnose(settings, options)).available;
  }

  /** The probe with its reason. */
  static diagnose(settings: CodeInterpreterSettings, options?: CodeInterpreterOptions): Promise<CodeInterpreterProbe> {
    const key = `${settings.python ?? ''}\0${options?.workRoot ?? ''}`;
    let probe = CodeInterpreterTool.probes.get(key);
    if (!probe) {
      probe = probeSandbox(settings, options?.workRoot);
      CodeInterpreterTool.probes.set(key, probe);
    }
    return probe;
  }

  /** Rejects with the signal's reason when the call is aborted. */
  async call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const { code, lang } = args;
    if (lang !== undefined && !(typeof lang === 'string' && ['py', 'python', 'python3'].includes(lang.toLowerCase()))) {
      return failure(`only Python is supported ("lang": "py"), not ${JSON.stringify(lang)}`);
    }
    if (typeof code !== 'string' || code.trim() === '') {
      return failure('the argument "code" must be a non-empty string holding the Python code');
    }
    if (code.length > MAX_CODE_LENGTH) {
      return failure(`the code is ${code.length} characters long; the limit is ${MAX_CODE_LENGTH}`);
    }
    const probe = await CodeInterpreterTool.diagnose(this.settings, this.options);
    if (!probe.available) return failure(`the code interpreter is not available: ${probe.reason}`);
    context.signal.throwIfAborted();
    await prepareWorkRoot(this.options.workRoot);
    if (context.conversationId === null) {
      const folder = await mkdtemp(join(this.options.workRoot, 'tmp-'));
      try {
        return await this.runIn(folder, probe.tools, code, context);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    }
    const folder = join(this.options.workRoot, conversationFolder(context.userId, context.conversationId));
    return this.exclusively(folder, () => this.runIn(folder, probe.tools, code, context));
  }

  private async runIn(
    folder: string,
    tools: SandboxTools,
    code: string,
    context: ToolCallContext,
  ): Promise<ToolResult> {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    if (tools.setpriv) await chown(folder, SANDBOX_UID, SANDBOX_UID);
    if (context.files) await copyIn(folder, context.files, tools.setpriv !== undefined);
    context.signal.throwIfAborted();
    const before = await snapshotFiles(folder);
    const run = await runInSandbox(tools, folder, code, this.limits, context.signal);
    const written = changedFiles(before, await snapshotFiles(folder));
    const { attachments, lines } = await this.handBack(folder, written, context.files);
    const output = [describeRun(run, this.limits), ...lines].join('\n');
    const result: ToolResult = { output };
    if (failed(run)) result.isError = true;
    if (attachments.length > 0) result.attachments = attachments;
    return result;
  }

  /** Stores the files the code wrote (bounded) and says what became of each. */
  private async handBack(
    folder: string,
    written: Array<{ path: string; size: number }>,
    files: ToolFiles | undefined,
  ): Promise<{ attachments: ToolAttachment[]; lines: string[] }> {
    if (written.length === 0) return { attachments: [], lines: [] };
    if (!files) {
      return {
        attachments: [],
        lines: [`Files written (kept in the working folder, not returned): ${written.map((f) => f.path).join(', ')}`],
      };
    }
    const attachments: ToolAttachment[] = [];
    const saved: string[] = [];
    const skipped: string[] = [];
    for (const file of written) {
      if (attachments.length >= MAX_RESULT_FILES) {
        skipped.push(`${file.path} (over the limit of ${MAX_RESULT_FILES} files)`);
        continue;
      }
      if (file.size > MAX_RESULT_FILE_BYTES) {
        skipped.push(`${file.path} (${formatBytes(file.size)}, over ${formatBytes(MAX_RESULT_FILE_BYTES)})`);
        continue;
      }
      const data = await readWrittenFile(join(folder, file.path), MAX_RESULT_FILE_BYTES);
      if (!data) continue;
      const filename = sanitizeFilename(basename(file.path));
      const mimeType = mimeTypeOf(filename);
      const ref = await files.save({ filename, mimeType, data });
      attachments.push({
        type: 'file',
        fileId: ref.id,
        filename: ref.filename,
        mimeType: ref.mimeType,
        bytes: ref.bytes,
      });
      saved.push(`${file.path} (${formatBytes(data.length)})`);
    }
    const lines: string[] = [];
    if (saved.length > 0) lines.push(`Files written: ${saved.join(', ')}`);
    if (skipped.length > 0) lines.push(`Files not returned: ${skipped.join(', ')}`);
    return { attachments, lines };
  }

  /** Runs `task` once the calls before it on `folder` are done. */
  private async exclusively<T>(folder: string, task: () => Promise<T>): Promise<T> {
    const previous = this.folderLocks.get(folder) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(task);
    this.folderLocks.set(folder, current);
    try {
      return await current;
    } finally {
      if (this.folderLocks.get(folder) === current) this.folderLocks.delete(folder);
    }
  }
}

/** A conversation's folder name: its owner and id hashed, so no id reaches the file system. */
export function conversationFolder(userId: string, conversationId: string): string {
  return createHash('sha256').update(`${userId}:${conversationId}`).digest('hex');
}

/** Copies in the files the call may use that the folder does not hold yet (by name). */
async function copyIn(folder: string, files: ToolFiles, asSandboxUser: boolean): Promise<void> {
  for (const ref of await files.list('code_interpreter')) {
    const path = join(folder, sanitizeFilename(ref.filename));
    // Whatever is there (a file, or a link the code made) stays: never written through.
    if (await lstat(path).catch(() => undefined)) continue;
    await writeFile(path, await files.read(ref.id), { flag: 'wx', mode: 0o600 });
    if (asSandboxUser) await chown(path, SANDBOX_UID, SANDBOX_UID);
  }
}

/** The probe's script: Python 3 starts in the sandbox and can print. */
const PROBE_CODE = "import sys\nprint('ok', sys.version_info[0])";

/**
 * The work root: searchable but not listable by others (mode 711), so a sandbox that drops to
 * SANDBOX_UID reaches its own folder by name and nothing else. Its parents must be searchable too.
 */
async function prepareWorkRoot(workRoot: string): Promise<void> {
  await mkdir(workRoot, { recursive: true });
  await chmod(workRoot, 0o711);
}

async function probeSandbox(settings: CodeInterpreterSettings, workRoot?: string): Promise<CodeInterpreterProbe> {
  if (settings.python === null) return { available: false, reason: 'CODE_INTERPRETER_PYTHON is off' };
  const python = resolvePython(settings.python);
  if ('error' in python) return { available: false, reason: python.error };
  const bwrap = findProgram('bwrap');
  if (!bwrap) return { available: false, reason: 'bubblewrap (bwrap) is not installed' };
  const tools: SandboxTools = { python: python.python, bwrap };
  if (process.getuid?.() === 0) {
    const setpriv = findProgram('setpriv');
    if (!setpriv) return { available: false, reason: 'the service runs as root and setpriv is not installed' };
    tools.setpriv = setpriv;
  }
  let folder: string;
  try {
    if (workRoot) await prepareWorkRoot(workRoot);
    folder = await mkdtemp(join(workRoot ?? tmpdir(), 'probe-'));
  } catch (error) {
    return { available: false, reason: `no working folder: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    if (tools.setpriv) await chown(folder, SANDBOX_UID, SANDBOX_UID);
    const limits = { ...FIXED_LIMITS, timeoutSeconds: 20, memoryMb: 512 };
    const run = await runInSandbox(tools, folder, PROBE_CODE, limits, AbortSignal.timeout(30_000));
    if (run.exitCode === 0 && run.stdout.text().trim() === 'ok 3') return { available: true, tools };
    return { available: false, reason: `the sandbox did not run Python: ${describeRun(run, limits)}` };
  } catch (error) {
    return {
      available: false,
      reason: `the sandbox did not start: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function failed(run: SandboxRun): boolean {
  return run.exitCode !== 0 || run.timedOut || run.outputExceeded || run.signal !== null;
}

/** What the model reads of a run: stdout, stderr, and how it ended when not well. */
function describeRun(run: SandboxRun, limits: Pick<SandboxLimits, 'timeoutSeconds' | 'memoryMb'>): string {
  const parts: string[] = [];
  const stdout = run.stdout.text();
  const stderr = run.stderr.text();
  if (stdout !== '') parts.push(stdout.replace(/\n$/, ''));
  if (stderr !== '') parts.push(`stderr:\n${stderr.replace(/\n$/, '')}`);
  if (run.timedOut) {
    parts.push(`(stopped: the code ran longer than ${limits.timeoutSeconds} s)`);
  } else if (run.outputExceeded) {
    parts.push('(stopped: the code printed more than 4 MB)');
  } else if (run.signal === 'SIGXCPU') {
    parts.push(`(stopped: the code used more than ${limits.timeoutSeconds} s of CPU time)`);
  } else if (run.signal === 'SIGXFSZ') {
    parts.push('(stopped: the code wrote a file larger than 50 MB)');
  } else if (run.signal !== null) {
    parts.push(`(the code was killed by ${run.signal})`);
  } else if (run.exitCode !== 0) {
    parts.push(`(exit status ${String(run.exitCode)})`);
  }
  return parts.length > 0 ? parts.join('\n') : '(no output)';
}

function failure(reason: string): ToolResult {
  return { output: `Error: ${reason}`, isError: true };
}

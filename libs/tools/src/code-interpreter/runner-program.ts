/*
 * The Python program the sandbox starts (`python3 -c RUNNER LIMITS`), as source text. It reads the
 * user's code from stdin, sets the resource limits from inside the sandbox's user namespace (there
 * RLIMIT_NPROC counts only the sandbox's own processes, so concurrent calls do not share it), then
 * runs the code as `__main__` with a traceback that shows only the user's frames.
 */

/** The limits handed to the runner on its command line (JSON). */
export interface RunnerLimits {
  /** CPU seconds (RLIMIT_CPU soft limit; SIGXCPU past it). */
  cpuSeconds: number;
  /** Address space in bytes (RLIMIT_AS): an allocation past it is a MemoryError. */
  addressSpaceBytes: number;
  /** Processes and threads of the sandbox (RLIMIT_NPROC). */
  processes: number;
  /** The largest file the code may write (RLIMIT_FSIZE). */
  fileSizeBytes: number;
  /** Open files (RLIMIT_NOFILE). */
  openFiles: number;
}

/** The name tracebacks give the user's code. */
export const USER_CODE_FILENAME = 'main.py';

const RUNNER_LIMIT_ORDER = ['cpuSeconds', 'addressSpaceBytes', 'processes', 'fileSizeBytes', 'openFiles'] as const;

/** The runner's command-line argument: the limits as integers, in RUNNER_LIMIT_ORDER. */
export function runnerArgument(limits: RunnerLimits): string {
  return RUNNER_LIMIT_ORDER.map((name) => String(Math.floor(limits[name]))).join(' ');
}

/* Only os, sys and resource load before the code runs (each import costs start time); traceback
 * and linecache load when there is an error to show. */
export const RUNNER_PROGRAM = String.raw`
import os, resource, sys

# Descriptors the service inherited and passed on (none the code should hold).
os.closerange(3, 1 << 20)
cpu, address_space, processes, file_size, open_files = map(int, sys.argv[1].split())
source = sys.stdin.buffer.read().decode('utf-8', 'replace')

def limit(kind, soft, hard=None):
    resource.setrlimit(kind, (soft, soft if hard is None else hard))

limit(resource.RLIMIT_CPU, cpu, cpu + 1)
limit(resource.RLIMIT_AS, address_space)
limit(resource.RLIMIT_NPROC, processes)
limit(resource.RLIMIT_FSIZE, file_size)
limit(resource.RLIMIT_NOFILE, open_files)
limit(resource.RLIMIT_CORE, 0)

# Output that is cut off by a timeout still shows what was printed up to a line's end.
sys.stdout.reconfigure(line_buffering=True)
sys.argv = ['${USER_CODE_FILENAME}']

def show(error, skip_runner_frame):
    import linecache, traceback
    # Tracebacks quote the user's lines; an mtime of None keeps linecache from checking a file.
    linecache.cache['${USER_CODE_FILENAME}'] = (len(source), None, source.splitlines(True), '${USER_CODE_FILENAME}')
    frames = error.__traceback__.tb_next if skip_runner_frame else None
    traceback.print_exception(type(error), error, frames)
    sys.exit(1)

try:
    code = compile(source, '${USER_CODE_FILENAME}', 'exec')
except SyntaxError as error:
    show(error, False)
try:
    exec(code, {'__name__': '__main__', '__builtins__': __builtins__})
except SystemExit:
    raise
except BaseException as error:
    show(error, True)
`;

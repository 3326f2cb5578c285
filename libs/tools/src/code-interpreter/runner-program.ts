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

export const RUNNER_PROGRAM = String.raw`
import json, linecache, os, resource, sys, traceback

# Descriptors the service inherited and passed on (none the code should hold).
os.closerange(3, 1 << 20)
limits = json.loads(sys.argv[1])
source = sys.stdin.buffer.read().decode('utf-8', 'replace')

def limit(kind, soft, hard=None):
    resource.setrlimit(kind, (soft, soft if hard is None else hard))

limit(resource.RLIMIT_CPU, limits['cpuSeconds'], limits['cpuSeconds'] + 1)
limit(resource.RLIMIT_AS, limits['addressSpaceBytes'])
limit(resource.RLIMIT_NPROC, limits['processes'])
limit(resource.RLIMIT_FSIZE, limits['fileSizeBytes'])
limit(resource.RLIMIT_NOFILE, limits['openFiles'])
limit(resource.RLIMIT_CORE, 0)

# Output that is cut off by a timeout still shows what was printed up to a line's end.
sys.stdout.reconfigure(line_buffering=True)
sys.argv = ['${USER_CODE_FILENAME}']
# Tracebacks quote the user's lines; an mtime of None keeps linecache from checking a file.
linecache.cache['${USER_CODE_FILENAME}'] = (len(source), None, source.splitlines(True), '${USER_CODE_FILENAME}')
namespace = {'__name__': '__main__', '__builtins__': __builtins__}
try:
    code = compile(source, '${USER_CODE_FILENAME}', 'exec')
except SyntaxError:
    traceback.print_exc(limit=0)
    sys.exit(1)
try:
    exec(code, namespace)
except SystemExit:
    raise
except BaseException as error:
    # Skip the runner's own frame.
    traceback.print_exception(type(error), error, error.__traceback__.tb_next)
    sys.exit(1)
`;

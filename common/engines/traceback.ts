/**
 * The message of a Python failure, from its stderr: the exception line of the last traceback and
 * the frame that raised it (`File "x.py", line 12, in f`), so an `error` event says what and where
 * in one line.
 */
export function pythonFailure(stderr: string): { message: string; frame: string | null } | null {
  const lines = stderr.split(/\r?\n/);
  const start = lines.map((l, i) => (l.startsWith('Traceback (most recent call last):') ? i : -1)).filter((i) => i >= 0).at(-1);
  if (start === undefined) return null;
  let frame: string | null = null;
  let exception: string | null = null;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    const m = /^\s+File "([^"]+)", line (\d+), in (.+)$/.exec(l);
    if (m) {
      frame = `${m[1]}:${m[2]} in ${m[3]}`;
      continue;
    }
    // The exception line is the first unindented line after the frames.
    if (l.length > 0 && !/^\s/.test(l)) {
      exception = l.trim();
      break;
    }
  }
  if (!exception) return null;
  return { message: frame ? `${exception} (at ${frame})` : exception, frame };
}

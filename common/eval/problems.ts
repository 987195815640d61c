/** Eval problems are data: a stable code (listed in docs/diagnostics.md), a message and where. */
export interface EvalProblem {
  code:
    | 'eval-task-unknown'
    | 'eval-task-invalid'
    | 'eval-data-missing'
    | 'eval-data-invalid'
    | 'eval-fewshot-insufficient'
    | 'eval-args-invalid';
  message: string;
  /** The file it concerns (a task YAML, a data file). */
  file?: string;
  /** 1-based line in `file`, when known. */
  line?: number;
}

/** Thrown inside the eval pipeline and turned into an `EvalProblem` at its edge. */
export class EvalError extends Error {
  constructor(readonly problem: EvalProblem) {
    super(problem.message);
  }
}

/** "file:line: code: message" for terminals. */
export function formatProblem(p: EvalProblem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : '';
  return `${where}${p.code}: ${p.message}`;
}

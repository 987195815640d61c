/**
 * Local benchmark data in the shapes the Hugging Face datasets have: Parquet (hyparquet, through
 * the dataset core's reader), JSON Lines and JSON (a list of records, or an object holding one).
 * Nothing is downloaded: built-in tasks look under `--data DIR` for the folders the HF repos use
 * (`mmlu/all/test-00000-of-00001.parquet`, `ARC-Easy/test-…`, `hellaswag/validation…`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { readParquetRows } from '../../common/dataset/file';
import { EvalError } from '../../common/eval/problems';
import type { TaskDef } from '../../common/eval/tasks';
import type { Doc } from '../../common/eval/template';

const DATA_EXTENSIONS = ['.parquet', '.jsonl', '.json', '.txt'];

/** Reads one data file into documents. A `.txt` file is one document per blank-line-separated block, as `{ text }`. */
export async function readDocs(path: string): Promise<Doc[]> {
  if (!existsSync(path)) throw new EvalError({ code: 'eval-data-missing', message: 'data file not found', file: path });
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') {
    const docs: Doc[] = [];
    try {
      await readParquetRows(path, (v) => docs.push(v as Doc));
    } catch (e) {
      throw new EvalError({ code: 'eval-data-invalid', message: `not a readable Parquet file: ${(e as Error).message}`, file: path });
    }
    return docs;
  }
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  if (text.includes('\0')) throw new EvalError({ code: 'eval-data-invalid', message: 'the file holds NUL bytes: it is binary, not text, JSON Lines or JSON', file: path });
  if (ext === '.txt') {
    return text
      .split(/\r?\n(?:[ \t]*\r?\n)+/)
      .filter((b) => b.trim().length > 0)
      .map((b) => ({ text: b }));
  }
  if (ext === '.jsonl') {
    const docs: Doc[] = [];
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new EvalError({ code: 'eval-data-invalid', message: `not JSON: ${(e as Error).message}`, file: path, line: i + 1 });
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EvalError({ code: 'eval-data-invalid', message: 'each line must be a JSON object', file: path, line: i + 1 });
      docs.push(v as Doc);
    });
    return docs;
  }
  if (ext === '.json') {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new EvalError({ code: 'eval-data-invalid', message: `not JSON: ${(e as Error).message}`, file: path });
    }
    if (!Array.isArray(v) && typeof v === 'object' && v !== null) {
      const lists = Object.values(v).filter(Array.isArray);
      if (lists.length === 1) v = lists[0];
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) throw new EvalError({ code: 'eval-data-invalid', message: 'expected a list of records (or an object holding one list)', file: path });
    return v as Doc[];
  }
  throw new EvalError({ code: 'eval-data-invalid', message: `unsupported data file type '${ext}' (use ${DATA_EXTENSIONS.join(', ')})`, file: path });
}

/** Reads and concatenates files (shards of one split, in the given order). */
export async function readSplit(paths: readonly string[]): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const p of paths) out.push(...(await readDocs(p)));
  return out;
}

/**
 * The files of `split` in a folder: names that start with the split name (or an alias) followed by
 * `-`, `.` or `_` (`test-00000-of-00001.parquet`, `test.jsonl`), or that end with `_val.jsonl`
 * style suffixes (`hellaswag_val.jsonl`); sorted, so shards concatenate in order.
 */
export function splitFiles(dir: string, names: readonly string[]): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const files = readdirSync(dir).filter((f) => DATA_EXTENSIONS.includes(extname(f).toLowerCase()) && statSync(join(dir, f)).isFile());
  const match = (f: string): boolean => {
    const stem = basename(f, extname(f)).toLowerCase();
    return names.some((n) => stem === n || stem.startsWith(`${n}-`) || stem.startsWith(`${n}.`) || stem.startsWith(`${n}_`) || stem.endsWith(`_${n}`) || stem.endsWith(`-${n}`));
  };
  const direct = files.filter(match).sort().map((f) => join(dir, f));
  if (direct.length > 0) return direct;
  // The Hub's Parquet conversion: <config>/<split>/0000.parquet, 0001.parquet, ...
  for (const n of names) {
    const sub = join(dir, n);
    if (existsSync(sub) && statSync(sub).isDirectory()) {
      const shards = readdirSync(sub).filter((f) => DATA_EXTENSIONS.includes(extname(f).toLowerCase()) && statSync(join(sub, f)).isFile());
      if (shards.length > 0) return shards.sort().map((f) => join(sub, f));
    }
  }
  return [];
}

/** Fills `dataFiles` of a built-in task from `dataDir`, or throws eval-data-missing saying where it looked. */
export function locateBuiltin(task: TaskDef, dataDir: string): TaskDef {
  if (!task.builtin) return task;
  const splits = [task.evalSplit, ...(task.fewshotSplit ? [task.fewshotSplit] : [])];
  const tried: string[] = [];
  // The folder itself (eval_tasks: data: ./evals/arc_easy), then the HF repo layouts under it.
  for (const d of ['', ...task.builtin.dirs]) {
    const dir = join(dataDir, d);
    if (d !== '') tried.push(dir);
    const evalFiles = splitFiles(dir, task.builtin.splitAliases?.[task.evalSplit] ?? [task.evalSplit]);
    if (evalFiles.length === 0) continue;
    const dataFiles: Record<string, string[]> = { [task.evalSplit]: evalFiles };
    for (const s of splits.slice(1)) {
      const f = splitFiles(dir, task.builtin.splitAliases?.[s] ?? [s]);
      if (f.length > 0) dataFiles[s] = f;
    }
    return { ...task, dataFiles };
  }
  throw new EvalError({
    code: 'eval-data-missing',
    message: `no ${task.evalSplit} split for ${task.name}: looked for ${task.evalSplit}*.parquet|jsonl|json in ${dataDir} and ${tried.join(', ')}. Download ${task.builtin.hfDataset} from the Hugging Face Hub into ${dataDir} (tunelab never downloads).`,
  });
}

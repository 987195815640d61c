/**
 * Task YAML files in lm-eval's format (the subset that makes sense for local files):
 *
 *   task: pirate_qa
 *   output_type: multiple_choice          # or generate_until, loglikelihood_rolling
 *   dataset_kwargs: { data_files: { test: pirate.jsonl, train: pirate_dev.jsonl } }   # or data_files:
 *   test_split: test                      # validation_split / training_split / fewshot_split
 *   description: "..."                    # a template, rendered per document
 *   doc_to_text: "Q: {{question}}\nA:"
 *   doc_to_choice: "{{choices}}"          # or a list, or a field name
 *   doc_to_target: answer
 *   target_delimiter: " "                 # fewshot_delimiter: "\n\n"
 *   num_fewshot: 0                        # fewshot_config: { sampler: first_n }
 *   metric_list: [{ metric: acc }, { metric: acc_norm }]
 *   generation_kwargs: { until: ["\n"], max_gen_toks: 64 }
 *   filter_list: [{ name: strict, filter: [{ function: regex, regex_pattern: "#### (\\-?[0-9]+)" }, { function: take_first }] }]
 *
 * Data file paths are relative to the YAML file. Problems carry the YAML line.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { CHOICE_METRICS, GENERATION_METRICS, PERPLEXITY_METRICS } from './metrics';
import { EvalError, type EvalProblem } from './problems';
import { baseTask, type GenFilter, type MetricSpec, type OutputType, type TaskDef } from './tasks';
import { renderTemplate, type FieldSpec } from './template';

const OUTPUT_TYPES: readonly OutputType[] = ['multiple_choice', 'generate_until', 'loglikelihood_rolling'];
const KNOWN_KEYS = new Set([
  'task', 'task_alias', 'tag', 'output_type', 'dataset_path', 'dataset_name', 'dataset_kwargs', 'data_files',
  'training_split', 'validation_split', 'test_split', 'fewshot_split', 'description', 'doc_to_text', 'doc_to_choice',
  'doc_to_target', 'target_delimiter', 'fewshot_delimiter', 'num_fewshot', 'fewshot_config', 'metric_list',
  'generation_kwargs', 'filter_list', 'primary_metric', 'metadata', 'should_decontaminate', 'doc_to_decontamination_query',
  'repeats',
]);

/**
 * Parses a task YAML (its text and the path it was read from, for messages). `resolvePath` turns a
 * data file path written in the YAML into the path to read (relative to the YAML's folder).
 */
export function parseTaskYaml(text: string, file: string, resolvePath: (p: string) => string): TaskDef {
  const doc = parseDocument(text, { prettyErrors: false });
  const lineOf = (path: (string | number)[]): number | undefined => lineAt(doc, text, path);
  const fail = (message: string, path: (string | number)[] = []): never => {
    const p: EvalProblem = { code: 'eval-task-invalid', message, file };
    const line = lineOf(path);
    if (line !== undefined) p.line = line;
    throw new EvalError(p);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new EvalError({ code: 'eval-task-invalid', message: `not valid YAML: ${e.message.split('\n')[0]}`, file, line: (e.linePos?.[0]?.line ?? 0) || 1 });
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('a task YAML is a mapping of keys (task, output_type, doc_to_text, ...)');
  const y = raw as Record<string, unknown>;
  for (const k of Object.keys(y)) if (!KNOWN_KEYS.has(k)) fail(`unknown key '${k}' (include, process_docs and !function are not supported: write the fields as templates)`, [k]);
  const str = (k: string, v: unknown = y[k]): string => (typeof v === 'string' ? v : fail(`${k} must be a string`, [k]));
  const name = typeof y.task === 'string' && y.task.trim() ? y.task.trim() : fail('task: the task name is required', ['task']);
  const outputType = (y.output_type ?? 'generate_until') as OutputType;
  if (!OUTPUT_TYPES.includes(outputType)) fail(`output_type must be one of ${OUTPUT_TYPES.join(', ')}`, ['output_type']);
  const t = baseTask(name, outputType);

  // Data files: dataset_kwargs.data_files (lm-eval with dataset_path json/parquet) or data_files.
  const filesNode = (y.dataset_kwargs as { data_files?: unknown } | undefined)?.data_files ?? y.data_files;
  const filesPath = y.data_files !== undefined ? ['data_files'] : ['dataset_kwargs', 'data_files'];
  if (filesNode === undefined) fail('data_files (or dataset_kwargs.data_files) must map split names to local files', []);
  const files: Record<string, string[]> = {};
  if (typeof filesNode === 'string') files.test = [resolvePath(filesNode)];
  else if (typeof filesNode === 'object' && filesNode !== null && !Array.isArray(filesNode)) {
    for (const [split, v] of Object.entries(filesNode)) {
      const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : fail(`data_files.${split} must be a path or a list of paths`, [...filesPath, split]);
      files[split] = list.map(resolvePath);
    }
  } else fail('data_files must map split names to local files', filesPath);
  t.dataFiles = files;
  const splitKey = (k: string): string | null => (y[k] === undefined || y[k] === null ? null : str(k));
  const test = splitKey('test_split');
  const validation = splitKey('validation_split');
  const training = splitKey('training_split');
  const fewshot = splitKey('fewshot_split');
  const splits = Object.keys(files);
  t.evalSplit = test ?? validation ?? (files.test ? 'test' : files.validation ? 'validation' : splits[0]!);
  t.fewshotSplit = fewshot ?? training ?? (validation && validation !== t.evalSplit ? validation : null) ?? (files.train && t.evalSplit !== 'train' ? 'train' : null);
  for (const [k, s] of [['test_split', t.evalSplit], ['fewshot_split', t.fewshotSplit]] as const) {
    if (s !== null && !files[s]) fail(`split '${s}' has no entry in data_files (${splits.join(', ')})`, [k]);
  }

  const field = (k: string): FieldSpec | null => {
    const v = y[k];
    if (v === undefined || v === null) return null;
    if (typeof v === 'string' || typeof v === 'number') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
    return fail(`${k} must be a template, a field name or a list`, [k]);
  };
  if (y.description !== undefined) {
    const d = str('description');
    t.description = (docu) => (d.includes('{{') || d.includes('{%') ? renderTemplate(d, docu) : d);
  }
  t.docToText = field('doc_to_text') ?? (outputType === 'loglikelihood_rolling' ? '' : fail('doc_to_text is required', []));
  t.docToTarget = field('doc_to_target') ?? fail('doc_to_target is required', []);
  t.docToChoice = field('doc_to_choice');
  if (outputType === 'multiple_choice' && t.docToChoice === null) fail('doc_to_choice is required for multiple_choice', []);
  if (y.target_delimiter !== undefined) t.targetDelimiter = str('target_delimiter');
  if (y.fewshot_delimiter !== undefined) t.fewshotDelimiter = str('fewshot_delimiter');
  if (y.num_fewshot !== undefined) {
    if (!Number.isInteger(y.num_fewshot) || (y.num_fewshot as number) < 0) fail('num_fewshot must be a whole number ≥ 0', ['num_fewshot']);
    t.numFewshot = y.num_fewshot as number;
  }
  const sampler = (y.fewshot_config as { sampler?: unknown } | undefined)?.sampler;
  if (sampler !== undefined) {
    if (sampler !== 'first_n' && sampler !== 'default') fail("fewshot_config.sampler must be 'first_n' or 'default'", ['fewshot_config', 'sampler']);
    t.sampler = sampler as 'first_n' | 'default';
  }

  const allowed: readonly string[] = outputType === 'multiple_choice' ? CHOICE_METRICS : outputType === 'generate_until' ? GENERATION_METRICS : PERPLEXITY_METRICS;
  const metrics: MetricSpec[] = [];
  if (y.metric_list !== undefined) {
    if (!Array.isArray(y.metric_list)) fail('metric_list must be a list of { metric: NAME }', ['metric_list']);
    (y.metric_list as unknown[]).forEach((m, i) => {
      const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
      const name = typeof o.metric === 'string' ? o.metric : fail('each metric_list entry needs metric: NAME', ['metric_list', i]);
      if (!allowed.includes(name)) fail(`metric '${name}' is not available for ${outputType} (use ${allowed.join(', ')})`, ['metric_list', i, 'metric']);
      const spec: MetricSpec = { metric: name, higher_is_better: typeof o.higher_is_better === 'boolean' ? o.higher_is_better : !name.includes('perplexity') && name !== 'bits_per_byte' };
      if (o.ignore_case === true) spec.ignore_case = true;
      if (o.ignore_punctuation === true) spec.ignore_punctuation = true;
      if (Array.isArray(o.regexes_to_ignore)) spec.regexes_to_ignore = o.regexes_to_ignore.map(String);
      metrics.push(spec);
    });
  }
  if (metrics.length === 0) {
    const defaults = outputType === 'multiple_choice' ? ['acc', 'acc_norm'] : outputType === 'generate_until' ? ['exact_match'] : ['word_perplexity', 'byte_perplexity', 'bits_per_byte'];
    for (const m of defaults) metrics.push({ metric: m, higher_is_better: !m.includes('perplexity') && m !== 'bits_per_byte' });
  }
  t.metrics = metrics;
  t.primary = typeof y.primary_metric === 'string' ? y.primary_metric : outputType === 'loglikelihood_rolling' ? 'bits_per_byte' : metrics[0]!.metric;
  if (!metrics.some((m) => m.metric === t.primary)) fail(`primary_metric '${t.primary}' is not in metric_list`, ['primary_metric']);

  const gen = y.generation_kwargs as Record<string, unknown> | undefined;
  if (gen !== undefined) {
    if (typeof gen !== 'object' || gen === null) fail('generation_kwargs must be a mapping', ['generation_kwargs']);
    // lm-eval: generation_kwargs without `until` stops at EOS only (the fewshot delimiter is the
    // default only when generation_kwargs is absent altogether).
    t.until = [];
    if (gen.until !== undefined) {
      const u = typeof gen.until === 'string' ? [gen.until] : Array.isArray(gen.until) && gen.until.every((x) => typeof x === 'string') ? (gen.until as string[]) : fail('generation_kwargs.until must be a string or a list of strings', ['generation_kwargs', 'until']);
      t.until = u;
    }
    if (gen.max_gen_toks !== undefined) {
      if (!Number.isInteger(gen.max_gen_toks) || (gen.max_gen_toks as number) < 1) fail('generation_kwargs.max_gen_toks must be a whole number ≥ 1', ['generation_kwargs', 'max_gen_toks']);
      t.maxGenToks = gen.max_gen_toks as number;
    }
  }
  if (y.filter_list !== undefined) t.filters = parseFilters(y.filter_list, fail);
  return t;
}

function parseFilters(value: unknown, fail: (m: string, p?: (string | number)[]) => never): GenFilter[] {
  if (!Array.isArray(value) || value.length === 0) return fail('filter_list must be a list of { name, filter: [...] }', ['filter_list']);
  // lm-eval reports one result per pipeline; we score with the first.
  const first = value[0] as { filter?: unknown };
  if (!Array.isArray(first?.filter)) return fail('filter_list[0].filter must be a list of { function: ... }', ['filter_list', 0]);
  return (first.filter as unknown[]).map((f, i): GenFilter => {
    const o = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
    switch (o.function) {
      case 'regex': {
        const pattern = typeof o.regex_pattern === 'string' ? o.regex_pattern : '#### (\\-?[0-9\\.\\,]+)';
        try {
          new RegExp(pattern);
        } catch (e) {
          return fail(`regex_pattern does not compile: ${(e as Error).message}`, ['filter_list', 0, 'filter', i, 'regex_pattern']);
        }
        return { function: 'regex', regex_pattern: pattern, group_select: Number.isInteger(o.group_select) ? (o.group_select as number) : 0, fallback: typeof o.fallback === 'string' ? o.fallback : '[invalid]' };
      }
      case 'take_first':
      case 'lowercase':
      case 'uppercase':
      case 'remove_whitespace':
        return { function: o.function };
      default:
        return fail(`filter function ${JSON.stringify(o.function)} is not supported (regex, take_first, lowercase, uppercase, remove_whitespace)`, ['filter_list', 0, 'filter', i]);
    }
  });
}

/** 1-based line of the node at `path` (or of the closest existing parent). */
function lineAt(doc: Document, text: string, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if ((isMap(node) || isSeq(node) || isScalar(node)) && node.range) {
      // For a key path prefer the key's line: the pair's value may start on the next line.
      return text.slice(0, node.range[0]).split('\n').length;
    }
  }
  return undefined;
}

/**
 * The quality pass: normalised records go in, in file order (from the validator's `onRecord`),
 * and a {@link QualityReport} comes out. Memory per record is one int32 (its line), the
 * exact-duplicate table's ~32 bytes and the band store's 4 bytes per band (64 for 16 bands);
 * everything else is bounded (top-k counters, HyperLogLog, capped example lists).
 *
 * Near-duplicates are found in two steps: `add` signs each record and keeps its band hashes,
 * which are matched into LSH candidate pairs (later record, earlier record) after the last
 * record; then the caller reads the records named by
 * `neededIndexes()` again, in order, and hands them to `verify`, which computes the exact Jaccard
 * of each pair's shingle sets (and the MinHash estimate). Readers that cannot read records again
 * skip that step; the report then says the candidates were not verified and counts none.
 */
import { DuplicateIndex, IntList, RecordHasher, type CrcBytes } from '../hash';
import { BandStore, estimateJaccard, forEachWordHash, jaccard, lshParams, MinHasher, shingleSet } from '../minhash';
import type { NormalizedRecord, RecordLocation } from '../types';
import { boilerplateOf, echoOf, refusalOf, truncationOf } from './checks';
import { DistinctCounter, Mattr, TopK, ValueCounts } from './counters';
import { detectLanguage, LANGUAGE_NAMES } from './language';
import { classifyTask, LEADING_VERBS, leadOf } from './taskType';
import { TASK_TYPES, type FileFinding, type FindingExample, type FindingGroup, type NearDuplicateCluster, type QualityReport, type RecordFindingCode, type RecordRef, type TaskType } from './types';

export interface QualityOptions {
  /** Jaccard similarity of word shingles at which two records are near-duplicates (default 0.8). */
  threshold?: number;
  /** Words per shingle (default 3). */
  shingle?: number;
  /** A task type above this share of the records is reported as dominant (default 0.5). */
  maxShare?: number;
  /** A task type present below this share is reported as rare (default 0.02). */
  minShare?: number;
  /** Examples kept per finding code in the report (default 50). */
  examples?: number;
  /** Near-duplicate clusters listed in the report (default 100; all are counted). */
  clusters?: number;
  /** Detail strings kept per code for diagnostics and the filter report (default 100 000). */
  maxDetails?: number;
  /** Near-duplicate detection (default on). */
  nearDuplicates?: boolean;
  /** A native CRC-32 over bytes (Node's `zlib.crc32`) for the duplicate fingerprints; same results without it, slower. */
  crc32Bytes?: CrcBytes;
}

/** One flagged record (the language server turns these into diagnostics; `tunelab filter` drops them). */
export interface RecordFinding extends RecordRef {
  code: RecordFindingCode;
  severity: 'warning' | 'info';
  message: string;
  data?: { firstLine: number; index: number; jaccard?: number };
}

const SEVERITY: Record<RecordFindingCode, 'warning' | 'info'> = {
  'dataset-duplicate': 'warning',
  'quality-near-duplicate': 'info',
  'quality-refusal': 'warning',
  'quality-boilerplate': 'info',
  'quality-truncated': 'warning',
  'quality-echo': 'warning',
  'quality-empty-field': 'info',
};

const TITLES: Record<RecordFindingCode, string> = {
  'dataset-duplicate': 'Duplicates (same text as an earlier record, up to whitespace)',
  'quality-near-duplicate': 'Near-duplicates',
  'quality-refusal': 'Refusals',
  'quality-boilerplate': 'AI boilerplate',
  'quality-truncated': 'Truncated answers',
  'quality-echo': 'Responses that repeat the prompt',
  'quality-empty-field': 'Empty fields',
};

/** Codes in report order. */
export const RECORD_FINDING_CODES = Object.keys(TITLES) as RecordFindingCode[];

/** Flagged records of one code: every index, and the details of the first `maxDetails`. */
class Flagged {
  readonly indexes = new IntList();
  readonly details: string[] = [];
  readonly extra: (FindingExample['of'] | undefined)[] = [];
}

/** Held for verification: an earlier record's shingle set and signature. */
interface Held {
  set: Uint32Array | null;
  sig: Uint32Array;
}

/** Instruction words fed to MATTR at most (the first ones: the measure is stable long before). */
const MATTR_WORDS = 200_000;
/** Shingle sets held while verifying, at most (bytes); past it pairs are judged by their signatures. */
const HOLD_BYTES = 128 << 20;

export class QualityAnalyzer {
  readonly threshold: number;
  readonly shingle: number;
  private readonly opts: Required<Omit<QualityOptions, 'threshold' | 'shingle' | 'crc32Bytes'>>;
  private records = 0;
  private analysed = 0;
  private readonly lines = new IntList();
  private readonly taskCounts = new Map<TaskType, { count: number; example: RecordRef }>();
  private readonly leading = [new TopK(), new TopK(), new TopK()];
  private readonly leadingDistinct = [new DistinctCounter(), new DistinctCounter(), new DistinctCounter()];
  private instructions = 0;
  private readonly verbs = new TopK(500);
  private readonly mattr = new Mattr(100);
  private readonly instructionLengths = new ValueCounts();
  private readonly responseLengths = new ValueCounts();
  private readonly turns = new ValueCounts();
  private readonly languages = new Map<string, number>();
  private readonly flagged = new Map<RecordFindingCode, Flagged>();
  private readonly hasher: RecordHasher;
  private readonly dups = new DuplicateIndex();
  private readonly minhash: MinHasher | undefined;
  private readonly bands: BandStore | undefined;
  private readonly sig: Uint32Array;
  /** Candidate pairs: later record, earlier record (ordered by the later), once the band store is matched. */
  private pairs: { later: Int32Array; earlier: Int32Array } | null = null;
  /** Confirmed pairs: union-find parents by record, and the best match of each later record. */
  private readonly parent = new Map<number, number>();
  private readonly best = new Map<number, { of: number; jaccard: number; verified: boolean }>();
  private verifiedAll = true;
  private verifyStarted = false;
  private held = new Map<number, Held>();
  private heldBytes = 0;
  private lastUse: Map<number, number> | null = null;
  private pairCursor = 0;

  constructor(options: QualityOptions = {}) {
    this.threshold = options.threshold ?? 0.8;
    this.shingle = options.shingle ?? 3;
    this.opts = {
      maxShare: options.maxShare ?? 0.5,
      minShare: options.minShare ?? 0.02,
      examples: options.examples ?? 50,
      clusters: options.clusters ?? 100,
      maxDetails: options.maxDetails ?? 100_000,
      nearDuplicates: options.nearDuplicates ?? true,
    };
    this.hasher = new RecordHasher(options.crc32Bytes ? { bytes: options.crc32Bytes } : undefined);
    const params = lshParams(this.threshold);
    this.minhash = this.opts.nearDuplicates ? new MinHasher(params, this.shingle) : undefined;
    this.bands = this.opts.nearDuplicates ? new BandStore(params) : undefined;
    this.sig = new Uint32Array(params.bands * params.rows);
  }

  /** The LSH parameters in use. */
  get params(): { bands: number; rows: number } {
    return lshParams(this.threshold);
  }

  private flag(code: RecordFindingCode, index: number, detail: string, of?: FindingExample['of']): void {
    let f = this.flagged.get(code);
    if (!f) this.flagged.set(code, (f = new Flagged()));
    f.indexes.push(index);
    if (f.details.length < this.opts.maxDetails) {
      f.details.push(detail);
      f.extra.push(of);
    }
  }

  /** One record, in file order (undefined: unreadable; it is counted and otherwise skipped). */
  add(record: NormalizedRecord | undefined, loc: RecordLocation): void {
    // The reader's numbering: a record it could not hold (too large) is skipped, not renumbered.
    const index = loc.index;
    while (this.lines.length < index) this.lines.push(-1);
    this.lines.push(loc.line);
    this.records = index + 1;
    if (!record) return;
    const v = viewOf(record);
    if (v.empty) this.flag('quality-empty-field', index, v.empty);
    if (v.text.trim() === '') return;
    this.analysed++;
    // Exact / whitespace duplicates first: they are not near-duplicates too.
    this.hasher.reset();
    for (const f of v.fields) this.hasher.add(f);
    const dup = this.dups.check(this.hasher.normalized(), this.hasher.exact(), index);
    if (dup) {
      const of = { index: dup.firstLine, line: this.lines.get(dup.firstLine) };
      this.flag('dataset-duplicate', index, `${dup.exact ? 'same text as' : 'same text (up to whitespace) as'} record ${of.index + 1} (line ${of.line + 1})`, of);
    }
    if (v.instruction !== undefined) this.instruction(v.instruction, v.context, v.userTurns, index, loc.line);
    if (v.userTurns > 0) this.turns.add(v.userTurns);
    if (v.response !== undefined) this.responseLengths.add(v.response.length);
    const lang = detectLanguage(v.sample);
    this.languages.set(lang, (this.languages.get(lang) ?? 0) + 1);
    for (const r of v.responses) {
      const refusal = refusalOf(r);
      if (refusal) {
        this.flag('quality-refusal', index, `refusal: ${refusal}`);
        break;
      }
    }
    for (const r of v.responses) {
      const b = boilerplateOf(r);
      if (b) {
        this.flag('quality-boilerplate', index, `boilerplate: ${b}`);
        break;
      }
    }
    if (record.kind !== 'completion') {
      for (const r of v.responses) {
        const t = truncationOf(r);
        if (t) {
          this.flag('quality-truncated', index, t);
          break;
        }
      }
      for (const [p, r] of v.exchanges) {
        const e = echoOf(p, r);
        if (e) {
          this.flag('quality-echo', index, e);
          break;
        }
      }
    }
    if (!dup && this.minhash && this.bands && this.minhash.sign(v.shingleText, this.sig) > 0) this.bands.add(index, this.sig);
  }

  private instruction(text: string, context: string, userTurns: number, index: number, line: number): void {
    this.instructions++;
    this.instructionLengths.add(text.length + context.length);
    const lead = leadOf(text);
    const type = classifyTask({ instruction: text, context, userTurns }, lead);
    const t = this.taskCounts.get(type);
    if (t) t.count++;
    else this.taskCounts.set(type, { count: 1, example: { index, line } });
    const words = lead.slice(0, 120).match(/[\p{L}\p{N}'’-]+/gu)?.slice(0, 3) ?? [];
    for (let n = 1; n <= 3 && n <= words.length; n++) {
      const gram = words.slice(0, n).join(' ');
      this.leading[n - 1]!.add(gram);
      this.leadingDistinct[n - 1]!.add(gram);
    }
    if (words[0] && LEADING_VERBS.has(words[0])) this.verbs.add(words[0]);
    if (this.mattr.words < MATTR_WORDS) forEachWordHash(text, (h) => this.mattr.add(h));
  }

  /** Records added so far. */
  get recordCount(): number {
    return this.records;
  }

  /** The 0-based line of record `index` (-1 for a record the reader skipped as too large). */
  lineOf(index: number): number {
    return this.lines.get(index);
  }

  /** The LSH candidate pairs (matched once, after the last `add`). */
  private candidatePairs(): { later: Int32Array; earlier: Int32Array } {
    this.pairs ??= this.bands ? this.bands.pairs() : { later: new Int32Array(0), earlier: new Int32Array(0) };
    return this.pairs;
  }

  /** How many candidate pairs LSH found for `verify` to confirm (call after the last `add`). */
  get candidates(): number {
    return this.candidatePairs().later.length;
  }

  /** The record indexes `verify` needs, ascending and distinct. */
  neededIndexes(): Int32Array {
    const { later, earlier } = this.candidatePairs();
    const all = new Int32Array(later.length * 2);
    for (let i = 0; i < later.length; i++) {
      all[2 * i] = later[i]!;
      all[2 * i + 1] = earlier[i]!;
    }
    all.sort();
    let w = 0;
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[w - 1]) all[w++] = all[i]!;
    return all.slice(0, w);
  }

  /**
   * A needed record read again (ascending `index`; records not needed are ignored). The pairs
   * whose later record this is are decided; earlier records are held until their last pair.
   */
  verify(index: number, record: NormalizedRecord | undefined): void {
    if (!this.minhash) return;
    const { later, earlier: earlierOf } = this.candidatePairs();
    if (!this.lastUse) {
      this.lastUse = new Map();
      for (let i = 0; i < later.length; i++) {
        const e = earlierOf[i]!;
        this.lastUse.set(e, Math.max(this.lastUse.get(e) ?? 0, later[i]!));
      }
    }
    this.verifyStarted = true;
    const text = record ? viewOf(record).shingleText : '';
    let me: Held | undefined;
    const sign = (): Held => {
      const sig = new Uint32Array(this.sig.length);
      this.minhash!.sign(text, sig);
      return { set: shingleSet(text, this.shingle), sig };
    };
    // Skip pairs whose later record came before this one (it was never handed over: not verified).
    while (this.pairCursor < later.length && later[this.pairCursor]! < index) {
      this.verifiedAll = false;
      this.pairCursor++;
    }
    while (this.pairCursor < later.length && later[this.pairCursor] === index) {
      const earlier = earlierOf[this.pairCursor++]!;
      const h = this.held.get(earlier);
      if (!h || !record) {
        this.verifiedAll = false;
        continue;
      }
      me ??= sign();
      const verified = h.set !== null && me.set !== null;
      const j = verified ? jaccard(h.set!, me.set!) : estimateJaccard(h.sig, me.sig);
      if (!verified) this.verifiedAll = false;
      if (j >= this.threshold) this.confirm(index, earlier, j, verified);
    }
    const last = this.lastUse.get(index);
    if (last !== undefined && last > index && record) {
      me ??= sign();
      if (this.heldBytes > HOLD_BYTES) me.set = null;
      this.held.set(index, me);
      this.heldBytes += (me.set?.byteLength ?? 0) + me.sig.byteLength;
    }
    for (const [k, h] of this.held) {
      if (this.lastUse.get(k)! <= index) {
        this.held.delete(k);
        this.heldBytes -= (h.set?.byteLength ?? 0) + h.sig.byteLength;
      }
    }
  }

  private find(x: number): number {
    let r = x;
    while (this.parent.has(r) && this.parent.get(r) !== r) r = this.parent.get(r)!;
    // Path compression.
    while (this.parent.has(x) && this.parent.get(x) !== r) {
      const next = this.parent.get(x)!;
      this.parent.set(x, r);
      x = next;
    }
    return r;
  }

  private confirm(later: number, earlier: number, j: number, verified: boolean): void {
    const a = this.find(later);
    const b = this.find(earlier);
    if (!this.parent.has(a)) this.parent.set(a, a);
    if (!this.parent.has(b)) this.parent.set(b, b);
    // The smaller index is the root: the first record of a cluster is the one kept.
    if (a !== b) {
      if (a < b) this.parent.set(b, a);
      else this.parent.set(a, b);
    }
    const prev = this.best.get(later);
    if (!prev || j > prev.jaccard) this.best.set(later, { of: earlier, jaccard: j, verified });
  }

  /** Every flagged record of the given codes (near-duplicates once verified), by record index. */
  findings(codes: readonly RecordFindingCode[] = RECORD_FINDING_CODES): RecordFinding[] {
    const out: RecordFinding[] = [];
    for (const code of codes) {
      if (code === 'quality-near-duplicate') {
        for (const [later, b] of this.best) {
          const j = Math.round(b.jaccard * 1000) / 1000;
          out.push({
            index: later,
            line: this.lines.get(later),
            code,
            severity: SEVERITY[code],
            message: `near-duplicate of record ${b.of + 1} (line ${this.lines.get(b.of) + 1}): ${b.verified ? '' : 'estimated '}Jaccard ${j.toFixed(2)} over ${this.shingle}-word shingles (threshold ${this.threshold})`,
            data: { firstLine: this.lines.get(b.of), index: b.of, jaccard: j },
          });
        }
        continue;
      }
      const f = this.flagged.get(code);
      if (!f) continue;
      for (let k = 0; k < f.indexes.length; k++) {
        const index = f.indexes.get(k);
        const of = f.extra[k];
        out.push({
          index,
          line: this.lines.get(index),
          code,
          severity: SEVERITY[code],
          message: f.details[k] ?? TITLES[code],
          ...(of ? { data: { firstLine: of.line, index: of.index } } : {}),
        });
      }
    }
    return out.sort((a, b) => a.index - b.index || RECORD_FINDING_CODES.indexOf(a.code) - RECORD_FINDING_CODES.indexOf(b.code));
  }

  /** Near-duplicate clusters (root = first record), members ascending. */
  private clusters(): NearDuplicateCluster[] {
    const groups = new Map<number, number[]>();
    for (const x of this.parent.keys()) {
      const r = this.find(x);
      if (r === x) continue;
      let g = groups.get(r);
      if (!g) groups.set(r, (g = []));
      g.push(x);
    }
    const ref = (i: number): RecordRef => ({ index: i, line: this.lines.get(i) });
    return [...groups]
      .sort((a, b) => a[0] - b[0])
      .map(([root, members]) => ({
        first: ref(root),
        members: members.sort((a, b) => a - b).map((m) => {
          const b = this.best.get(m);
          return { ...ref(m), jaccard: b ? Math.round(b.jaccard * 1000) / 1000 : 0, verified: b?.verified ?? false };
        }),
      }));
  }

  finish(): QualityReport {
    const n = this.instructions;
    const share = (c: number) => (n ? Math.round((1000 * c) / n) / 1000 : 0);
    const taskTypes = TASK_TYPES.filter((t) => this.taskCounts.has(t)).map((type) => {
      const t = this.taskCounts.get(type)!;
      return { type, count: t.count, share: share(t.count), example: t.example };
    });
    taskTypes.sort((a, b) => b.count - a.count || TASK_TYPES.indexOf(a.type) - TASK_TYPES.indexOf(b.type));
    const clusters = this.clusters();
    const groups: FindingGroup[] = [];
    for (const code of RECORD_FINDING_CODES) {
      const all = code === 'quality-near-duplicate' ? this.findings([code]) : null;
      const count = all ? all.length : (this.flagged.get(code)?.indexes.length ?? 0);
      if (count === 0) continue;
      const examples: FindingExample[] = all
        ? all.slice(0, this.opts.examples).map((f) => ({
            index: f.index,
            line: f.line,
            detail: f.message,
            of: { index: f.data!.index, line: f.data!.firstLine },
            jaccard: f.data!.jaccard!,
            verified: this.best.get(f.index)!.verified,
          }))
        : this.examplesOf(code);
      groups.push({ code, severity: SEVERITY[code], title: TITLES[code], count, examples });
    }
    const leading = this.leading.map((top, k) => ({ words: (k + 1) as 1 | 2 | 3, distinct: this.leadingDistinct[k]!.count, estimated: this.leadingDistinct[k]!.estimated, top: top.top(10) }));
    const mattr = this.mattr.value();
    const languages = [...this.languages]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([language, count]) => ({ language, name: LANGUAGE_NAMES[language] ?? language, count, share: this.analysed ? Math.round((1000 * count) / this.analysed) / 1000 : 0 }));
    const nearRecords = this.best.size;
    const p = this.params;
    return {
      records: this.records,
      analysed: this.analysed,
      taskTypes,
      phrasing: { leading, mattr: mattr === null ? null : Math.round(mattr * 1000) / 1000, mattrWindow: this.mattr.window, topVerbs: this.verbs.top(10).map((v) => ({ verb: v.text, count: v.count })) },
      lengths: { instruction: this.instructionLengths.distribution(), response: this.responseLengths.distribution(), turns: this.turns.distribution() },
      languages,
      nearDuplicates: {
        threshold: this.threshold,
        bands: p.bands,
        rows: p.rows,
        shingle: this.shingle,
        candidates: this.candidates,
        confirmed: [...this.best.values()].length,
        verified: this.candidates === 0 || (this.verifyStarted && this.verifiedAll && this.pairCursor === this.candidates),
        records: nearRecords,
        clusters: clusters.slice(0, this.opts.clusters),
        clusterCount: clusters.length,
      },
      findings: groups,
      fileFindings: this.fileFindings(taskTypes, leading),
    };
  }

  private examplesOf(code: RecordFindingCode): FindingExample[] {
    const f = this.flagged.get(code)!;
    const out: FindingExample[] = [];
    for (let k = 0; k < Math.min(this.opts.examples, f.indexes.length); k++) {
      const index = f.indexes.get(k);
      const of = f.extra[k];
      out.push({ index, line: this.lines.get(index), detail: f.details[k] ?? '', ...(of ? { of } : {}) });
    }
    return out;
  }

  private fileFindings(taskTypes: QualityReport['taskTypes'], leading: QualityReport['phrasing']['leading']): FileFinding[] {
    const out: FileFinding[] = [];
    const n = this.instructions;
    if (n < 20) return out;
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    for (const t of taskTypes) {
      if (t.type === 'other') continue;
      if (t.share > this.opts.maxShare) {
        out.push({ code: 'quality-task-type-dominant', severity: 'warning', message: `${t.type} is ${pct(t.share)} of the instructions (more than ${pct(this.opts.maxShare)}): a model tuned on this mix learns little else` });
      } else if (t.share < this.opts.minShare) {
        out.push({ code: 'quality-task-type-rare', severity: 'info', message: `${t.type} is only ${t.count} instruction${t.count === 1 ? '' : 's'} (${pct(t.share)}, under ${pct(this.opts.minShare)}): too few to teach it` });
      }
    }
    const top3 = leading[2]?.top[0];
    if (top3 && top3.count / n > 0.2) {
      out.push({ code: 'quality-repetitive-phrasing', severity: 'info', message: `${pct(top3.count / n)} of the instructions open with "${top3.text}": vary the phrasing so the model does not key on it` });
    }
    return out;
  }
}

/** What the checks read from a record. */
interface RecordView {
  /** Role + content of every message (the duplicate fingerprint). */
  fields: string[];
  /** All text (for emptiness). */
  text: string;
  /** Text without system prompts (shingled for near-duplicates: a shared system prompt would make every record similar). */
  shingleText: string;
  instruction: string | undefined;
  context: string;
  response: string | undefined;
  responses: string[];
  /** (prompt, reply) pairs. */
  exchanges: [string, string][];
  userTurns: number;
  /** Instruction + response start, for language detection. */
  sample: string;
  /** Which field is empty, when one is. */
  empty: string | undefined;
}

function viewOf(r: NormalizedRecord): RecordView {
  if (r.kind === 'completion') {
    return { fields: [r.text], text: r.text, shingleText: r.text, instruction: undefined, context: '', response: r.text, responses: [r.text], exchanges: [], userTurns: 0, sample: r.text.slice(0, 1500), empty: r.text.trim() === '' ? 'empty text' : undefined };
  }
  const fields: string[] = [];
  const parts: string[] = [];
  const responses: string[] = [];
  const exchanges: [string, string][] = [];
  let userTurns = 0;
  let instruction: string | undefined;
  let response: string | undefined;
  let lastUser: string | undefined;
  let empty: string | undefined;
  let all = '';
  for (const m of r.conversation.messages) {
    fields.push(m.role, m.content);
    if (m.tool_calls) fields.push(JSON.stringify(m.tool_calls));
    all += m.content;
    if (m.role !== 'system') parts.push(m.content);
    if (m.role === 'user') {
      userTurns++;
      instruction ??= m.content;
      lastUser = m.content;
      if (!empty && m.content.trim() === '') empty = `user turn ${userTurns} is empty`;
    } else if (m.role === 'assistant') {
      if (m.content.trim() === '') {
        if (!m.tool_calls?.length && !empty) empty = 'an assistant turn is empty';
        continue;
      }
      if (instruction !== undefined) response ??= m.content;
      responses.push(m.content);
      if (lastUser !== undefined) exchanges.push([lastUser, m.content]);
      lastUser = undefined;
    }
  }
  let context = '';
  if (r.kind === 'alpaca') {
    instruction = r.alpaca.instruction;
    context = r.alpaca.input ?? '';
    response = r.alpaca.output;
    // Alpaca: the prompt the answer may echo is instruction + input.
    exchanges.length = 0;
    exchanges.push([context ? `${instruction}\n${context}` : instruction, r.alpaca.output]);
    empty = r.alpaca.instruction.trim() === '' && context.trim() === '' ? 'empty instruction' : r.alpaca.output.trim() === '' ? 'empty output' : undefined;
  }
  const sample = `${instruction ?? ''}\n${response ?? ''}`.slice(0, 1500);
  return { fields, text: all, shingleText: parts.join('\n'), instruction, context, response, responses, exchanges, userTurns, sample, empty };
}

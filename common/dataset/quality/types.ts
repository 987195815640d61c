/**
 * The dataset quality report (`tunelab inspect --quality`, the inspector's Quality tab, the
 * language server's per-record quality diagnostics, `tunelab filter`). Plain JSON: it crosses the
 * webview boundary and is the CLI's JSON contract.
 */

/** Task types, classified from the instruction (rules in docs/dataset-quality.md). */
export type TaskType =
  | 'generation'
  | 'open_qa'
  | 'closed_qa'
  | 'classification'
  | 'rewriting'
  | 'summarization'
  | 'extraction'
  | 'brainstorming'
  | 'coding'
  | 'math'
  | 'chat'
  | 'other';

export const TASK_TYPES: readonly TaskType[] = ['generation', 'open_qa', 'closed_qa', 'classification', 'rewriting', 'summarization', 'extraction', 'brainstorming', 'coding', 'math', 'chat', 'other'];

/** A record in the file: 0-based index and 0-based line of its first character. */
export interface RecordRef {
  index: number;
  line: number;
}

/** A length distribution: exact percentiles and log2-width histogram bins. */
export interface Distribution {
  count: number;
  min: number;
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Bin k holds values in [edges[k], edges[k + 1]); edges are 0, 1, 2, 4, 8, ... */
  histogram: { edges: number[]; counts: number[] };
}

/** Per-record finding codes (listed in docs/diagnostics.md). */
export type RecordFindingCode =
  | 'quality-near-duplicate'
  | 'quality-echo'
  | 'quality-refusal'
  | 'quality-boilerplate'
  | 'quality-truncated'
  | 'quality-empty-field'
  | 'dataset-duplicate';

/** File-level finding codes. */
export type FileFindingCode = 'quality-task-type-dominant' | 'quality-task-type-rare' | 'quality-repetitive-phrasing';

/** One flagged record, with what the check saw. */
export interface FindingExample extends RecordRef {
  /** A short, human-readable detail (the matched phrase, the last characters, the similarity). */
  detail: string;
  /** For duplicates: the record it repeats. */
  of?: RecordRef;
  /** For near-duplicates: Jaccard similarity of the word shingles (exact when `verified`). */
  jaccard?: number;
  verified?: boolean;
}

/** All records flagged with one code: the count, and the first examples (record links). */
export interface FindingGroup {
  code: RecordFindingCode;
  severity: 'warning' | 'info';
  title: string;
  count: number;
  examples: FindingExample[];
}

export interface FileFinding {
  code: FileFindingCode;
  severity: 'warning' | 'info';
  message: string;
}

/** A near-duplicate cluster: the first record (kept by `tunelab filter`) and the others. */
export interface NearDuplicateCluster {
  first: RecordRef;
  members: (RecordRef & { jaccard: number; verified: boolean })[];
}

export interface QualityReport {
  /** Records in the file, and those with text to analyse (readable, not all empty). */
  records: number;
  analysed: number;
  taskTypes: { type: TaskType; count: number; share: number; example: RecordRef | null }[];
  phrasing: {
    /** Distinct leading 1-, 2- and 3-word openings of the instructions (lower-cased). */
    leading: { words: 1 | 2 | 3; distinct: number; estimated: boolean; top: { text: string; count: number }[] }[];
    /** Moving-average type-token ratio of the instruction words (window `mattrWindow`), null for too few words. */
    mattr: number | null;
    mattrWindow: number;
    /** Most frequent imperative verbs that open instructions. */
    topVerbs: { verb: string; count: number }[];
  };
  lengths: {
    /** Characters of the instruction (first user turn, Alpaca instruction + input). */
    instruction: Distribution | null;
    /** Characters of the response (first assistant turn, Alpaca output, completion text). */
    response: Distribution | null;
    /** User turns per conversation. */
    turns: Distribution | null;
  };
  languages: { language: string; name: string; count: number; share: number }[];
  nearDuplicates: {
    threshold: number;
    bands: number;
    rows: number;
    shingle: number;
    /** Candidate pairs from LSH, and how many were confirmed at the threshold. */
    candidates: number;
    confirmed: number;
    /** Whether candidates were checked by exact Jaccard (records read again) or by the MinHash estimate. */
    verified: boolean;
    /** Records that near-duplicate an earlier one (what `filter --drop near-duplicates` removes). */
    records: number;
    clusters: NearDuplicateCluster[];
    clusterCount: number;
  };
  findings: FindingGroup[];
  fileFindings: FileFinding[];
}

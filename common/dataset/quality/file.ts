/**
 * The quality pass over a dataset file (Node only): one streaming pass through the validator with
 * the analyzer on its `onRecord`, then, when LSH found candidate pairs, a second streaming pass
 * that hands the records of those pairs back for exact verification. Memory stays within the
 * validator's budget plus the analyzer's per-record bytes (see analyzer.ts).
 */
import { nativeCrc32Bytes, readDatasetRecords, validateDatasetFile } from '../file';
import { IntList } from '../hash';
import type { DatasetEntry } from '../types';
import type { DatasetReport } from '../validator';
import { QualityAnalyzer, type QualityOptions } from './analyzer';
import type { QualityReport } from './types';

export interface QualityRun {
  report: QualityReport;
  /** The validator's report of the same pass (duplicates are the analyzer's, so the validator's are off). */
  dataset: DatasetReport;
  analyzer: QualityAnalyzer;
  /** Records with errors (unreadable, or readable with an error diagnostic), by index. */
  invalid: IntList;
}

/** Runs the quality pass (and the verification pass when needed) over a file. */
export async function analyzeDatasetFile(path: string, options: QualityOptions & { entry?: DatasetEntry } = {}): Promise<QualityRun> {
  const { entry, ...quality } = options;
  const analyzer = new QualityAnalyzer({ crc32Bytes: nativeCrc32Bytes, ...quality });
  const invalid = new IntList();
  const dataset = await validateDatasetFile(path, {
    ...(entry ? { entry } : {}),
    duplicates: false,
    // Enough diagnostics to name the error of each invalid record `tunelab filter` drops.
    maxDiagnostics: 10_000,
    onRecord: (record, loc, hasErrors) => {
      analyzer.add(record, loc);
      if (hasErrors) invalid.push(loc.index);
    },
  });
  if (analyzer.candidates > 0) await verifyFromFile(path, entry, analyzer);
  return { report: analyzer.finish(), dataset, analyzer, invalid };
}

/** Reads the file again and hands the records LSH paired to the analyzer, stopping after the last one. */
export async function verifyFromFile(path: string, entry: DatasetEntry | undefined, analyzer: QualityAnalyzer): Promise<void> {
  const needed = analyzer.neededIndexes();
  if (needed.length === 0) return;
  let k = 0;
  const it = readDatasetRecords(path, entry, { duplicates: false, maxDiagnostics: 0 });
  try {
    for (;;) {
      const n = await it.next();
      if (n.done) break;
      const { record, loc } = n.value;
      if (loc.index !== needed[k]) continue;
      analyzer.verify(loc.index, record);
      if (++k === needed.length) break;
    }
  } finally {
    await it.return(undefined as never);
  }
}

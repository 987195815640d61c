/**
 * Config <-> dataset: does a local dataset file's content match its config entry's `type:` and
 * mappings? The config core calls this through `ConfigEnv.checkDatasetFile` for every local
 * dataset and places the findings at the entry's `type:`. It reads only a bounded prefix of the
 * file (the first records), so it is cheap enough to run on every keystroke in a config.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { chatTemplateShape, formatOfEntry, guessRecord, type RecordGuess } from './shapes';
import { RecordSplitter } from './splitter';
import type { DatasetEntry } from './types';
import { FORMAT_NAMES } from './validator';

/** A finding about the whole entry (the config core gives it a range). */
export interface EntryFinding {
  code: string;
  severity: 1 | 2 | 3 | 4;
  message: string;
}

const PREFIX_BYTES = 256 * 1024;
const SAMPLE = 50;

/** The first records of a JSON / JSONL file, parsed (those cut off by the prefix are left out). */
export function sampleRecords(path: string, bytes = PREFIX_BYTES, limit = SAMPLE): Record<string, unknown>[] {
  const fd = openSync(path, 'r');
  let text: string;
  let whole: boolean;
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    whole = n < bytes;
    // Cut at the last complete UTF-8 character.
    let end = n;
    if (!whole) while (end > 0 && (buf[end - 1]! & 0xc0) === 0x80) end--;
    if (!whole && end > 0 && buf[end - 1]! >= 0xc0) end--;
    text = buf.toString('utf8', buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0, end);
  } finally {
    closeSync(fd);
  }
  const out: Record<string, unknown>[] = [];
  const ext = extname(path).toLowerCase();
  const mode = ext === '.jsonl' || ext === '.ndjson' ? 'lines' : 'auto';
  const splitter = new RecordSplitter(
    {
      record(slice) {
        if (out.length >= limit) return;
        try {
          const v = JSON.parse(slice.text) as unknown;
          if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
        } catch {
          /* the validator reports it; the hook only needs readable records */
        }
      },
      issue() {},
    },
    mode,
  );
  splitter.push(text);
  if (whole) splitter.end();
  return out;
}

const yamlMap = (m: Record<string, string>) => `{${Object.entries(m).map(([k, v]) => `${k}: ${v}`).join(', ')}}`;

/** What to write in the entry for data of this shape. */
function fixFor(g: RecordGuess): string {
  switch (g.format) {
    case 'alpaca':
      return 'use type: alpaca';
    case 'completion':
      return 'use type: completion';
    default: {
      const parts = ['use type: chat_template'];
      if (g.field && g.field !== 'messages') parts.push(`field_messages: ${g.field}`);
      if (g.roleKey && g.roleKey !== 'role') parts.push(`message_property_mappings: ${yamlMap({ role: g.roleKey, content: g.contentKey ?? 'content' })}`);
      return parts.join(', ');
    }
  }
}

function describe(g: RecordGuess): string {
  return g.format ? `${FORMAT_NAMES[g.format]} records (${g.reason})` : `records with ${g.reason}`;
}

/** The usual target role of common source role names, for the `roles:` hint. */
const TARGET_OF: Record<string, string> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  bot: 'assistant',
  model: 'assistant',
  assistant: 'assistant',
  function_call: 'assistant',
  observation: 'tool',
  tool: 'tool',
  system: 'system',
};

/**
 * Checks a dataset file against its config entry. Returns findings for the config core to place
 * at the entry's `type:`; an empty list when they match or when the file cannot tell (Parquet,
 * unreadable, or a type Tunelab does not read).
 */
export function checkDatasetAgainstEntry(absPath: string, rawEntry: Record<string, unknown>): EntryFinding[] {
  const entry = rawEntry as DatasetEntry;
  const declared = formatOfEntry(entry);
  if (!declared) return [];
  const ext = extname(absPath).toLowerCase();
  if (ext === '.parquet') return [];
  let records: Record<string, unknown>[];
  try {
    records = sampleRecords(absPath);
  } catch {
    return [];
  }
  if (records.length === 0) return [];
  const guess = guessRecord(records[0]!, entry.field_messages);
  const typeText = typeof entry.type === 'string' ? entry.type : 'a user-defined type';
  if (declared === 'alpaca') {
    if (guess.format === 'alpaca' || guess.format === undefined) {
      if (typeof entry.type === 'object') return [];
      const missing = ['instruction', 'output'].filter((k) => !(k in records[0]!));
      if (guess.format === undefined && missing.length) return [{ code: 'dataset-type-mismatch', severity: 1, message: `type: ${typeText} reads 'instruction' and 'output', but the file's records have ${guess.reason}` }];
      return [];
    }
    return [{ code: 'dataset-type-mismatch', severity: 1, message: `type: ${typeText} expects Alpaca records, but the file holds ${describe(guess)}: ${fixFor(guess)}` }];
  }
  if (declared === 'completion') {
    const field = entry.field ?? 'text';
    if (typeof records[0]![field] === 'string') return [];
    return [{ code: 'dataset-type-mismatch', severity: 1, message: `type: completion reads the '${field}' column, but the file holds ${describe(guess)}${guess.format && guess.format !== 'completion' ? `: ${fixFor(guess)}` : ''}` }];
  }
  // chat_template: the message list, its keys and the role names must match the mappings.
  const shape = chatTemplateShape(entry);
  const first = records[0]!;
  if (!(shape.field in first)) {
    if (guess.format === 'alpaca' || guess.format === 'completion' || guess.format === undefined) {
      return [{ code: 'dataset-type-mismatch', severity: 1, message: `type: ${typeText} reads messages from '${shape.field}', but the file holds ${describe(guess)}${guess.format ? `: ${fixFor(guess)}` : ''}` }];
    }
    return [{ code: 'dataset-mapping-mismatch', severity: 1, message: `field_messages is '${shape.field}'${entry.field_messages ? '' : ' (the default)'}, but the file's messages are under '${guess.field}': set field_messages: ${guess.field}${guess.roleKey && guess.roleKey !== shape.roleKey ? ` and message_property_mappings: ${yamlMap({ role: guess.roleKey, content: guess.contentKey ?? 'content' })}` : ''}` }];
  }
  const findings: EntryFinding[] = [];
  const unmapped = new Map<string, number>();
  let keysChecked = false;
  for (const rec of records) {
    const list = rec[shape.field];
    if (!Array.isArray(list)) continue;
    for (const m of list) {
      if (!m || typeof m !== 'object') continue;
      const msg = m as Record<string, unknown>;
      if (!keysChecked) {
        keysChecked = true;
        const missing = [shape.roleKey, shape.contentKey].filter((k) => !(k in msg));
        if (missing.length) {
          const keys = Object.keys(msg);
          const role = keys.find((k) => k === 'role' || k === 'from');
          const content = keys.find((k) => k === 'content' || k === 'value');
          findings.push({
            code: 'dataset-mapping-mismatch',
            severity: 1,
            message: `messages are read with ${yamlMap({ role: shape.roleKey, content: shape.contentKey })}, but the file's messages have keys ${keys.map((k) => `'${k}'`).join(', ')}${role && content ? `: set message_property_mappings: ${yamlMap({ role, content })}` : ''}`,
          });
          return findings;
        }
      }
      const r = msg[shape.roleKey];
      if (typeof r === 'string' && !shape.roles.has(r)) unmapped.set(r, (unmapped.get(r) ?? 0) + 1);
    }
  }
  if (unmapped.size) {
    const names = [...unmapped.keys()];
    const hint = names.map((n) => `${TARGET_OF[n.toLowerCase()] ?? '<role>'}: [${n}]`).join(', ');
    findings.push({
      code: 'dataset-unmapped-role',
      severity: 1,
      message: `role${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(', ')} in the file ${names.length > 1 ? 'are' : 'is'} not in the ${shape.rolesFromConfig ? 'roles: mapping' : 'default role mapping'} (${[...shape.roles.keys()].join(', ')}): add them under roles: (${hint})`,
    });
  }
  return findings;
}

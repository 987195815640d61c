/**
 * Cuts a dataset's text into records as it streams in, with bounded memory: only the record being
 * read is kept. Three shapes:
 * - `lines`: JSONL / NDJSON, one record per line (blank lines ignored);
 * - `array`: a JSON array of records, possibly pretty-printed over many lines;
 * - `values`: one or more top-level objects one after another (a single pretty-printed object, or
 *   JSONL saved as `.json`).
 * Records are handed on as text slices with their position; the caller parses them. Structural
 * problems between records (a missing ',' or ']') become issues, and the splitter recovers at the
 * next line that starts a record, so one broken record does not hide the rest of the file.
 */

export type SplitMode = 'lines' | 'array' | 'values';

/** One record's text and where it starts (0-based line and UTF-16 column). */
export interface RecordSlice {
  text: string;
  line: number;
  character: number;
}

/** A structural problem found by the splitter itself. */
export interface SplitIssue {
  code: 'dataset-invalid-json' | 'dataset-record-too-large' | 'dataset-not-json';
  line: number;
  character: number;
  /** Length of the range on that line (at least 1). */
  length: number;
  message: string;
}

export interface SplitterOptions {
  /** Records longer than this many UTF-16 code units are skipped with an issue (default 64 Mi). */
  maxRecordChars?: number;
}

export interface SplitterSink {
  record(slice: RecordSlice): void;
  issue(issue: SplitIssue): void;
}

const DEFAULT_MAX = 64 * 1024 * 1024;

/** Decides the shape of a `.json` file from its first non-blank character. */
export function jsonShapeOf(firstChar: string): SplitMode | undefined {
  return firstChar === '[' ? 'array' : firstChar === '{' ? 'values' : undefined;
}

export class RecordSplitter {
  private readonly max: number;
  private mode: SplitMode | undefined;
  // position of the next character to be read
  private line = 0;
  private col = 0;
  // the record being collected (text of earlier chunks in parts)
  private parts: string[] = [];
  private partsLen = 0;
  private overflow = false;
  private recLine = 0;
  private recCol = 0;
  private inRecord = false;
  // structural state for array / values
  private depth = 0;
  private inString = false;
  private escape = false;
  private primitive = false;
  private arrayOpen = false;
  private arrayClosed = false;
  private needComma = false;
  private afterComma = false;
  private skipping = false;
  private skipIndent = -1;
  private skipLimit = 0;
  private reportedTrailing = false;

  constructor(private readonly sink: SplitterSink, mode: SplitMode | 'auto', options: SplitterOptions = {}) {
    this.max = options.maxRecordChars ?? DEFAULT_MAX;
    this.mode = mode === 'auto' ? undefined : mode;
  }

  /** The shape in use (decided from the first character in `auto` mode). */
  get shape(): SplitMode | undefined {
    return this.mode;
  }

  push(chunk: string): void {
    if (chunk.length === 0) return;
    if (this.mode === undefined) {
      const m = /\S/.exec(chunk);
      if (!m) {
        this.advance(chunk, 0, chunk.length);
        return;
      }
      this.advance(chunk, 0, m.index);
      const shape = jsonShapeOf(m[0]);
      if (shape === undefined) {
        this.sink.issue({
          code: 'dataset-not-json',
          line: this.line,
          character: this.col,
          length: 1,
          message: `a .json dataset must start with '[' (an array of records) or '{' (a record), found '${m[0]}'`,
        });
        this.mode = 'lines';
      } else this.mode = shape;
      chunk = chunk.slice(m.index);
    }
    if (this.mode === 'lines') this.pushLines(chunk);
    else this.pushStructured(chunk);
  }

  end(): void {
    if (this.mode === 'lines' || this.mode === undefined) {
      if (this.partsLen > 0 || this.overflow) this.emitLine(this.takeParts(''));
      return;
    }
    if (this.inRecord) {
      // The file ended inside a record: hand it on so that the parser says what is missing.
      this.emit(this.takeParts(''));
    }
    if (this.mode === 'array' && this.arrayOpen && !this.arrayClosed) {
      this.sink.issue({ code: 'dataset-invalid-json', line: this.line, character: this.col, length: 1, message: "the array of records is not closed: missing ']' at the end of the file" });
    }
  }

  // ---- JSONL ----------------------------------------------------------------------------------

  private pushLines(chunk: string): void {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', pos);
      if (nl < 0) {
        if (pos < chunk.length) this.keep(chunk.slice(pos));
        return;
      }
      const text = this.partsLen > 0 || this.overflow ? this.takeParts(chunk.slice(pos, nl)) : chunk.slice(pos, nl);
      this.emitLine(text);
      this.line++;
      pos = nl + 1;
    }
  }

  private emitLine(text: string): void {
    if (this.overflow || text.length > this.max) {
      this.overflow = false;
      this.sink.issue({ code: 'dataset-record-too-large', line: this.line, character: 0, length: 1, message: `line is longer than ${this.max} characters; skipped` });
      return;
    }
    const n = text.length;
    if (n > 0 && text.charCodeAt(n - 1) === 13) text = text.slice(0, n - 1);
    if (text.length === 0) return;
    const c0 = text.charCodeAt(0);
    if ((c0 === 32 || c0 === 9) && text.trim().length === 0) return;
    this.sink.record({ text, line: this.line, character: 0 });
  }

  private keep(s: string): void {
    if (this.overflow) return;
    if (this.partsLen + s.length > this.max) {
      this.overflow = true;
      this.parts = [];
      this.partsLen = 0;
      return;
    }
    this.parts.push(s);
    this.partsLen += s.length;
  }

  private takeParts(tail: string): string {
    const s = this.parts.length === 0 ? tail : this.parts.join('') + tail;
    this.parts = [];
    this.partsLen = 0;
    return s;
  }

  // ---- JSON array / concatenated values ------------------------------------------------------

  private get base(): number {
    return this.mode === 'array' ? 1 : 0;
  }

  private issueHere(message: string, line = this.line, character = this.col): void {
    this.sink.issue({ code: 'dataset-invalid-json', line, character, length: 1, message });
  }

  private emit(text: string): void {
    this.inRecord = false;
    if (this.overflow) {
      this.overflow = false;
      this.sink.issue({ code: 'dataset-record-too-large', line: this.recLine, character: this.recCol, length: 1, message: `record is longer than ${this.max} characters; skipped` });
      return;
    }
    this.sink.record({ text, line: this.recLine, character: this.recCol });
  }

  /** Moves the position over text[from..to) that holds no record. */
  private advance(chunk: string, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      if (chunk.charCodeAt(i) === 10) {
        this.line++;
        this.col = 0;
      } else this.col++;
    }
  }

  private pushStructured(chunk: string): void {
    const base = this.base;
    let recStart = this.inRecord ? 0 : -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.skipping) {
        if (c === 10) {
          this.skipIndent = 0;
        } else if (this.skipIndent >= 0) {
          if (c === 32 || c === 9) this.skipIndent++;
          else {
            const indent = this.skipIndent;
            this.skipIndent = -1;
            if ((c === 123 && indent <= this.skipLimit) || (c === 93 && base === 1 && indent < this.skipLimit)) {
              this.skipping = false;
              this.depth = base;
              this.needComma = false;
              this.afterComma = false;
              i--; // read this character again, in normal mode
              continue;
            }
          }
        }
        this.step(c);
        continue;
      }
      if (this.inRecord) {
        if (this.inString) {
          if (this.escape) this.escape = false;
          else if (c === 92) this.escape = true;
          else if (c === 34) {
            this.inString = false;
          } else if (c === 10) {
            // JSON strings cannot hold a raw line break: the record is broken here. Hand on what we
            // have (the parser points at the break) and resynchronise at the next record.
            // The break is kept in the text so that the parser's message points at it.
            this.emit(this.collect(chunk, recStart, i + 1));
            recStart = -1;
            this.startSkipping();
            this.step(c);
            this.skipIndent = 0;
            continue;
          }
          this.step(c);
          continue;
        }
        if (this.primitive) {
          if (c === 44 || c === 93 || c === 125 || c === 32 || c === 9 || c === 10 || c === 13) {
            this.emit(this.collect(chunk, recStart, i));
            recStart = -1;
            this.primitive = false;
            this.needComma = true;
            i--;
            continue;
          }
          this.step(c);
          continue;
        }
        if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) this.depth++;
        else if (c === 125 || c === 93) {
          this.depth--;
          if (this.depth === base) {
            this.step(c);
            this.emit(this.collect(chunk, recStart, i + 1));
            recStart = -1;
            this.needComma = base === 1;
            continue;
          }
        }
        this.step(c);
        continue;
      }
      // Between records.
      if (c === 32 || c === 9 || c === 13 || c === 10) {
        this.step(c);
        continue;
      }
      if (base === 1 && !this.arrayOpen) {
        // The very first character of an array file.
        this.arrayOpen = true;
        this.depth = 1;
        this.step(c);
        continue;
      }
      if (this.arrayClosed) {
        if (!this.reportedTrailing) this.issueHere("unexpected content after the closing ']' of the array");
        this.reportedTrailing = true;
        this.step(c);
        continue;
      }
      if (c === 44 /* , */) {
        if (base === 0) this.issueHere("',' between top-level records: write one record per line (JSONL) or wrap them in [ ]");
        else if (!this.needComma) this.issueHere(this.afterComma ? "two ',' in a row between records" : "',' before the first record");
        this.needComma = false;
        this.afterComma = true;
        this.step(c);
        continue;
      }
      if (c === 93 /* ] */ && base === 1) {
        if (this.afterComma) this.issueHere("trailing comma before the closing ']' (JSON does not allow it)");
        this.arrayClosed = true;
        this.depth = 0;
        this.step(c);
        continue;
      }
      if (c === 125 || c === 93) {
        this.issueHere(`unexpected '${String.fromCharCode(c)}' between records`);
        this.step(c);
        continue;
      }
      // A record starts here.
      if (this.needComma) this.issueHere("missing ',' between records");
      this.needComma = false;
      this.afterComma = false;
      this.inRecord = true;
      this.recLine = this.line;
      this.recCol = this.col;
      recStart = i;
      if (c === 123 || c === 91) this.depth++;
      else if (c === 34) {
        this.inString = true;
        this.primitive = true;
      } else this.primitive = true;
      this.step(c);
    }
    if (this.inRecord && recStart >= 0) this.keep(chunk.slice(recStart));
  }

  private startSkipping(): void {
    this.skipping = true;
    this.skipLimit = this.recCol + (this.mode === 'array' ? 1 : 0);
    this.inString = false;
    this.escape = false;
    this.primitive = false;
  }

  private collect(chunk: string, recStart: number, end: number): string {
    return this.takeParts(chunk.slice(Math.max(0, recStart), end));
  }

  private step(c: number): void {
    if (c === 10) {
      this.line++;
      this.col = 0;
    } else this.col++;
  }
}

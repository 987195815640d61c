import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EVENT_VERSION, type TrainerEvent } from '../../common/protocol/events';
import { progressLine } from './progress';

/** An event without the envelope fields the writer fills in. */
export type EventBody = TrainerEvent extends infer E ? (E extends TrainerEvent ? Omit<E, 'v' | 'time' | 'run_id'> : never) : never;

/** Where the trainer's output goes: the CLI passes process streams, tests pass collectors. */
export interface EventOutput {
  /** stdout: with `json` it receives one event per line and nothing else. */
  stdout(text: string): void;
  /** stderr: human progress and messages when not `json`. */
  stderr(text: string): void;
  /** Emit JSON lines on stdout instead of human output. */
  json: boolean;
  /** stderr is a terminal: redraw one progress line instead of printing one per step. */
  isTty: boolean;
}

/**
 * Writes every event, versioned and stamped, to `<output_dir>/events.jsonl` (appended with a
 * synchronous write per event, so a killed run keeps every line it wrote) and either to stdout as a
 * JSON line (`--json`) or as human text on stderr.
 */
export class EventWriter {
  private file: string | null = null;
  private barOpen = false;
  /** Every event written, in order (the run's own record, e.g. for the final summary). */
  readonly history: TrainerEvent[] = [];

  constructor(
    private currentRunId: string,
    private readonly out: EventOutput,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Starts appending to an events file (creating its folder). */
  openFile(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    this.file = path;
  }

  get eventsPath(): string | null {
    return this.file;
  }

  get runId(): string {
    return this.currentRunId;
  }

  setRunId(id: string): void {
    this.currentRunId = id;
  }

  emit(body: EventBody): TrainerEvent {
    const event = { v: EVENT_VERSION, time: this.now().toISOString(), run_id: this.currentRunId, ...body } as TrainerEvent;
    const line = JSON.stringify(event) + '\n';
    if (this.file) appendFileSync(this.file, line);
    this.history.push(event);
    if (this.out.json) this.out.stdout(line);
    else this.human(event);
    return event;
  }

  private human(e: TrainerEvent): void {
    const text = (s: string) => {
      if (this.barOpen) this.out.stderr('\n');
      this.barOpen = false;
      this.out.stderr(s + '\n');
    };
    switch (e.type) {
      case 'run_start':
        text(
          `tunelab: training ${e.method} on ${e.backend}: ${fmtInt(e.params.trainable)} of ${fmtInt(e.params.total)} parameters trainable, ` +
            `${e.dataset.train_records} train / ${e.dataset.eval_records} eval records, ${e.total_steps} step${e.total_steps === 1 ? '' : 's'} → ${e.output_dir}` +
            (e.resumed_from ? ` (resumed from step ${e.resumed_from.step})` : ''),
        );
        break;
      case 'step':
        if (this.out.isTty) {
          this.out.stderr('\r\x1b[2K' + progressLine(e));
          this.barOpen = true;
        } else {
          this.out.stderr(progressLine(e) + '\n');
        }
        break;
      case 'eval':
        text(`eval at step ${e.step}: loss ${e.eval_loss.toFixed(4)}, perplexity ${e.perplexity.toFixed(2)}`);
        break;
      case 'checkpoint':
        text(`checkpoint at step ${e.step}: ${e.path}`);
        break;
      case 'log':
        text(`${e.level === 'info' ? '' : e.level + ': '}${e.message}`);
        break;
      case 'done':
        text(
          `done (${e.status}) at step ${e.step}` +
            (e.outputs.adapter ? `; adapter: ${e.outputs.adapter}` : '') +
            (e.outputs.model ? `; model: ${e.outputs.model}` : '') +
            `; events: ${e.outputs.events}`,
        );
        break;
      case 'benchmark':
        text(`benchmarks at step ${e.step}: ${e.verdict ?? e.tasks.map((t) => `${t.task} ${t.metric} ${t.value.toFixed(4)}`).join('; ')}${e.report ? `; report: ${e.report}` : ''}`);
        break;
      case 'error':
        text(`tunelab train: ${e.location ? `${e.location.path}:${e.location.range.start.line + 1}:${e.location.range.start.character + 1}: ` : ''}${e.code}: ${e.message}`);
        break;
    }
  }
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Reading a model directory in Hugging Face layout: tokenizer.json (required),
 * tokenizer_config.json, chat_template.jinja (or chat_template.json), generation_config.json and
 * config.json (optional).
 * Every failure is a coded error naming the file. `ChatModelCache` keeps loaded models by
 * directory and reloads one when a file changes; callers (the server, the trainer) own their cache.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fail, messageOf, type Outcome } from './errors';
import { createChatModel, type ChatModel, type ChatModelFiles } from './model';

const FILES = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'generation_config.json', 'config.json', 'chat_template.json'] as const;

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseJson(text: string, path: string, code: 'chat-tokenizer-invalid' | 'chat-tokenizer-config-invalid'): Outcome<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return fail(code, `${path} is not valid JSON: ${messageOf(e)}`, path);
  }
}

/** Loads the chat model in `modelDir`. Never throws. */
export async function loadChatModel(modelDir: string): Promise<Outcome<ChatModel>> {
  const dir = resolve(modelDir);
  try {
    const st = await stat(dir).catch(() => undefined);
    if (!st) return fail('chat-model-dir-missing', `model directory not found: ${dir}`, dir);
    if (!st.isDirectory()) return fail('chat-model-dir-missing', `not a directory: ${dir} (give the folder holding tokenizer.json)`, dir);
    const [tok, cfg, jinja, gen, conf, ctJson] = await Promise.all(FILES.map((f) => readOptional(join(dir, f))));
    const tokPath = join(dir, 'tokenizer.json');
    if (tok === undefined) {
      // Say what is there instead: slow-tokenizer files need a one-time conversion.
      const slow = (await Promise.all(['tokenizer.model', 'vocab.json', 'merges.txt', 'spiece.model'].map(async (f) => ((await stat(join(dir, f)).catch(() => undefined)) ? f : undefined)))).filter(Boolean);
      const hint = slow.length
        ? ` (found ${slow.join(', ')}: convert once with transformers, AutoTokenizer.from_pretrained(dir).save_pretrained(dir), which writes tokenizer.json)`
        : ' (download it with the model, or save it with tokenizer.save_pretrained)';
      return fail('chat-tokenizer-missing', `no tokenizer.json in ${dir}: Tunelab needs the fast-tokenizer file${hint}`, dir);
    }
    const files: ChatModelFiles = { tokenizerJson: undefined, dir };
    const tj = parseJson(tok, tokPath, 'chat-tokenizer-invalid');
    if (!tj.ok) return tj;
    files.tokenizerJson = tj.value;
    const cfgPath = join(dir, 'tokenizer_config.json');
    if (cfg !== undefined) {
      const c = parseJson(cfg, cfgPath, 'chat-tokenizer-config-invalid');
      if (!c.ok) return c;
      files.tokenizerConfig = c.value;
    }
    if (jinja !== undefined) files.chatTemplateFile = jinja;
    else if (ctJson !== undefined) {
      // Processor-style chat_template.json ({"chat_template": "..."}) of vision models.
      try {
        const v = JSON.parse(ctJson) as { chat_template?: unknown };
        if (typeof v.chat_template === 'string') files.chatTemplateFile = v.chat_template;
      } catch {
        /* ignored on purpose: optional metadata */
      }
    }
    // generation_config.json and config.json only add eos ids and the model type: a broken one is not fatal.
    for (const [text, key] of [
      [gen, 'generationConfig'],
      [conf, 'modelConfig'],
    ] as const) {
      if (text === undefined) continue;
      try {
        files[key] = JSON.parse(text) as unknown;
      } catch {
        /* ignored on purpose: optional metadata */
      }
    }
    return createChatModel(files, { tokenizer: tokPath, config: cfgPath });
  } catch (e) {
    return fail('chat-model-dir-missing', `could not read ${dir}: ${messageOf(e)}`, dir);
  }
}

/** Loaded models by directory, reloaded when one of the files changes (size or mtime). */
export class ChatModelCache {
  private readonly entries = new Map<string, { stamp: string; model: Promise<Outcome<ChatModel>> }>();

  constructor(private readonly limit = 4) {}

  private static async stamp(dir: string): Promise<string> {
    const parts = await Promise.all(
      FILES.map(async (f) => {
        const s = await stat(join(dir, f)).catch(() => undefined);
        return s ? `${s.size}:${s.mtimeMs}` : '-';
      }),
    );
    return parts.join('|');
  }

  /** The model in `modelDir`, loaded once and shared until its files change. */
  async get(modelDir: string): Promise<Outcome<ChatModel>> {
    const dir = resolve(modelDir);
    const stamp = await ChatModelCache.stamp(dir);
    const hit = this.entries.get(dir);
    if (hit && hit.stamp === stamp) {
      // Refresh its place in the least-recently-used order.
      this.entries.delete(dir);
      this.entries.set(dir, hit);
      return hit.model;
    }
    const model = loadChatModel(dir);
    this.entries.delete(dir);
    this.entries.set(dir, { stamp, model });
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
    return model;
  }

  /** Forgets one directory, or everything. */
  clear(modelDir?: string): void {
    if (modelDir === undefined) this.entries.clear();
    else this.entries.delete(resolve(modelDir));
  }
}

#!/usr/bin/env node
// `npm run demo`: fine-tunes the shipped tiny model (examples/models/tiny-base) with LoRA on the
// CPU, then shows validation loss and a few generations before and after, and where the adapter
// went. Every stage is a plain `tunelab` command, printed before it runs, so it can be repeated
// by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = 'examples/demo.yml';
const output = 'outputs/tiny-demo';
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = '') => process.stdout.write(s + '\n');

function tunelab(args, { json = false } = {}) {
  say(`$ tunelab ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(root, 'bin/tunelab.js'), ...args], { cwd: root, stdio: json ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`demo: 'tunelab ${args[0]}' exited with ${r.status}\n`);
    process.exit(r.status ?? 1);
  }
  return json ? JSON.parse(r.stdout) : null;
}

if (!existsSync(join(root, 'dist/cli/tunelab.mjs'))) {
  say('building the CLI bundle first (npm run build)…');
  const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const started = Date.now();
say(bold('Tunelab demo: LoRA fine-tuning of a tiny Llama model on the CPU'));
say(`config ${config}: base examples/models/tiny-base, data examples/data/pirate.openai.jsonl (questions answered like a pirate)`);
say();
say(bold('1/3  the base model on the validation split'));
const before = tunelab(['eval', config, '--samples', '3', '--json'], { json: true });
say(`     loss ${before.eval_loss.toFixed(4)}, perplexity ${before.perplexity.toFixed(2)} on ${before.records} held-out records`);
say();
say(bold('2/3  training (progress on stderr; events in ' + output + '/events.jsonl)'));
rmSync(join(root, output), { recursive: true, force: true });
tunelab(['train', config]);
say();
say(bold('3/3  the base model with the new adapter'));
const after = tunelab(['eval', config, '--adapter', output, '--samples', '3', '--json'], { json: true });
say(`     loss ${after.eval_loss.toFixed(4)}, perplexity ${after.perplexity.toFixed(2)}`);
say();
say(bold('Validation loss') + `  ${before.eval_loss.toFixed(4)} → ${after.eval_loss.toFixed(4)}   (perplexity ${before.perplexity.toFixed(2)} → ${after.perplexity.toFixed(2)})`);
say();
say(bold('Generations (greedy) on held-out prompts'));
before.samples.forEach((s, i) => {
  say(`  ${bold(`Q${i + 1}`)} ${s.prompt.replace(/\n+/g, ' / ')}`);
  say(`     before: ${s.generated || '(nothing)'}`);
  say(`     after:  ${after.samples[i]?.generated || '(nothing)'}`);
  say(`     data:   ${s.reference}`);
});
say();
say(bold('Adapter') + ` ${join(root, output)}/ (adapter_config.json, adapter_model.safetensors: PEFT format)`);
say(`Events  ${join(root, output)}/events.jsonl; checkpoints ${join(root, output)}/checkpoint-*`);
say(`Done in ${Math.round((Date.now() - started) / 1000)} s. Try: npm run -s tunelab -- eval ${config} --adapter ${output} --samples 5`);

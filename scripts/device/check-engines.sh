#!/usr/bin/env bash
# One prepared check of the Python engines on a GPU machine with torch, transformers, peft and
# accelerate (no network needed). From the repository root:
#
#   scripts/device/check-engines.sh            # writes its report to ${OUT:-/tmp}/check-engines/
#
# It trains the shipped tiny model (examples/models/tiny-base), or SmolLM2-135M when a local copy
# is found ($SMOL_DIR, or models/SmolLM2-135M), with --engine hf for 50 steps on one GPU, and checks:
#   1. events: run_start, 50 step events, checkpoints at 25 and 50, done(completed), all parseable;
#   2. the PEFT adapter: adapter_config.json + weights load with peft and change the logits;
#   3. stop + resume: SIGINT to `tunelab train` after step 20 → checkpoint + done(stopped); --resume
#      continues from that checkpoint under the same run id to done(completed) at 50;
#   4. overhead: tokens/s of the plain Transformers Trainer without and with the Tunelab callback,
#      same data, model, seed; 3 alternating pairs; the median overhead must be under 2 %.
# The CLI runs from dist/cli/tunelab.mjs (carry it, or `node scripts/build.mjs` first); without
# node or the bundle, steps 1-3 drive the runner directly (python -m tunelab_engines.hf_runner).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUTDIR="${OUT:-/tmp}/check-engines"
mkdir -p "$OUTDIR"
PY="${TUNELAB_PYTHON:-python3}"
REPORT="$OUTDIR/report.txt"
: > "$REPORT"
say() { echo "$*" | tee -a "$REPORT"; }
fail=0
check() { if [ "$1" = ok ]; then say "PASS $2"; else say "FAIL $2"; fail=1; fi; }

"$PY" - <<'PY' || { say "FAIL environment: torch, transformers, peft and accelerate are needed"; exit 1; }
import torch, transformers, peft, accelerate
print("torch", torch.__version__, "cuda", torch.version.cuda, "devices", torch.cuda.device_count(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")
print("transformers", transformers.__version__, "peft", peft.__version__, "accelerate", accelerate.__version__)
PY
"$PY" -c "import torch; assert torch.cuda.is_available()" 2>/dev/null || say "note: no CUDA device: the checks run on the CPU"

MODEL="$ROOT/examples/models/tiny-base"
for c in "${SMOL_DIR:-}" "$ROOT/models/SmolLM2-135M" "$ROOT/../models/SmolLM2-135M"; do
  if [ -n "$c" ] && [ -f "$c/config.json" ]; then MODEL="$c"; break; fi
done
say "model: $MODEL"
export CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-0}"
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"

WORK="$OUTDIR/work"
rm -rf "$WORK"; mkdir -p "$WORK"
write_config() { # $1 output dir
  cat > "$WORK/config.yml" <<YAML
base_model: $MODEL
datasets:
  - path: $ROOT/examples/data/pirate.alpaca.jsonl
    type: alpaca
adapter: lora
lora_r: 16
lora_alpha: 32
lora_dropout: 0.0
lora_target_linear: true
sequence_len: 256
micro_batch_size: 8
gradient_accumulation_steps: 1
max_steps: 50
learning_rate: 0.0005
lr_scheduler: cosine
warmup_steps: 5
bf16: auto
logging_steps: 1
save_steps: 25
seed: 7
output_dir: $1
YAML
}

if command -v node >/dev/null && [ -f "$ROOT/dist/cli/tunelab.mjs" ]; then
  TRAIN=(node "$ROOT/bin/tunelab.js" train "$WORK/config.yml" --engine hf --python "$PY" --json)
  say "launcher: tunelab train --engine hf"
else
  TRAIN=()
  say "launcher: python -m tunelab_engines.hf_runner (no node or no dist/cli bundle)"
fi
run_train() { # $1 output dir, $2 extra flag (--resume or empty)
  if [ ${#TRAIN[@]} -gt 0 ]; then
    "${TRAIN[@]}" ${2:-} > "$1.stdout" 2> "$1.stderr"
  else
    local rid="check-$(basename "$1")"
    if [ "${2:-}" = --resume ]; then
      local ck; ck=$(ls -d "$1"/checkpoint-* 2>/dev/null | sort -t- -k2 -n | tail -1)
      sed -i "/^resume_from_checkpoint:/d" "$WORK/config.yml"; echo "resume_from_checkpoint: $ck" >> "$WORK/config.yml"
    fi
    TUNELAB_EVENTS="$1/events.jsonl" TUNELAB_RUN_ID="$rid" "$PY" -m tunelab_engines.hf_runner "$WORK/config.yml" > "$1.stdout" 2> "$1.stderr"
  fi
}

# 1 + 2: a full run.
A="$WORK/a"; write_config "$A"; mkdir -p "$A"
t0=$(date +%s); run_train "$A"; rc=$?; t1=$(date +%s)
say "run a: exit $rc in $((t1 - t0)) s"
"$PY" - "$A" <<'PY' >> "$REPORT" 2>&1
import json, os, sys
d = sys.argv[1]
ev = [json.loads(l) for l in open(os.path.join(d, "events.jsonl"))]
ev = [e for e in ev if e["type"] != "log"]
t = [e["type"] for e in ev]
steps = [e for e in ev if e["type"] == "step"]
ok = (t[0] == "run_start" and len(steps) == 50 and [e["step"] for e in steps] == list(range(1, 51))
      and [e["step"] for e in ev if e["type"] == "checkpoint"] == [25, 50] and ev[-1]["type"] == "done" and ev[-1]["status"] == "completed"
      and all(e["v"] == 1 and e["run_id"] == ev[0]["run_id"] for e in ev))
print("events:", "ok" if ok else "BAD", "| first loss %.4f last loss %.4f | tokens/s %s" % (steps[0]["loss"], steps[-1]["loss"], steps[-1]["tokens_per_s"]) if steps else t)
print("EVENTS_OK" if ok and steps[-1]["loss"] < steps[0]["loss"] else "EVENTS_BAD")
PY
grep -q EVENTS_OK "$REPORT"; check "$([ $? = 0 ] && echo ok)" "events of a 50-step hf run (loss falls)"
"$PY" - "$A" "$MODEL" <<'PY' >> "$REPORT" 2>&1
import sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel
out, base = sys.argv[1], sys.argv[2]
tok = AutoTokenizer.from_pretrained(base)
m = AutoModelForCausalLM.from_pretrained(base, torch_dtype=torch.float32)
ids = tok("### Instruction:\nSay hello\n\n### Response:\n", return_tensors="pt").input_ids
with torch.no_grad():
    a = m(ids).logits
    p = PeftModel.from_pretrained(m, out)
    b = p(ids).logits
diff = (a - b).abs().max().item()
print("adapter: max |logit change| %.4f" % diff)
print("ADAPTER_OK" if diff > 1e-3 else "ADAPTER_BAD")
PY
grep -q ADAPTER_OK "$REPORT"; check "$([ $? = 0 ] && echo ok)" "PEFT adapter saved, loads, changes the logits"

# 3: stop after step 20, resume.
B="$WORK/b"; write_config "$B"; mkdir -p "$B"
# Started directly in the background (not through a function) so $! is the launcher itself.
# Background commands of a script ignore SIGINT, so the CLI gets SIGTERM (it forwards a SIGINT
# to the engine's process group either way); the bare runner gets SIGINT from its own handler.
if [ ${#TRAIN[@]} -gt 0 ]; then
  "${TRAIN[@]}" > "$B.stdout" 2> "$B.stderr" & pid=$!; sig=TERM
else
  TUNELAB_EVENTS="$B/events.jsonl" TUNELAB_RUN_ID="check-b" "$PY" -m tunelab_engines.hf_runner "$WORK/config.yml" > "$B.stdout" 2> "$B.stderr" & pid=$!; sig=INT
fi
for _ in $(seq 1 600); do
  grep -q '"step":20,' "$B/events.jsonl" 2>/dev/null && break
  sleep 0.5
done
kill -"$sig" "$pid" 2>/dev/null
wait "$pid"; say "run b: stopped, exit $?"
run_train "$B" --resume; say "run b: resumed, exit $?"
"$PY" - "$B" <<'PY' >> "$REPORT" 2>&1
import json, os, sys
d = sys.argv[1]
ev = [json.loads(l) for l in open(os.path.join(d, "events.jsonl"))]
dones = [e for e in ev if e["type"] == "done"]
starts = [e for e in ev if e["type"] == "run_start"]
ok = (len(dones) == 2 and dones[0]["status"] == "stopped" and 20 <= dones[0]["step"] < 50 and dones[1]["status"] == "completed" and dones[1]["step"] == 50
      and len(starts) == 2 and starts[1].get("resumed_from") and starts[1]["resumed_from"]["step"] == dones[0]["step"]
      and os.path.isdir(os.path.join(d, "checkpoint-%d" % dones[0]["step"])))
same_id = len({e["run_id"] for e in ev if e["type"] != "log"}) == 1
print("stop/resume:", [(e["status"], e["step"]) for e in dones], "resumed_from", starts[-1].get("resumed_from"), "same run id", same_id)
print("RESUME_OK" if ok else "RESUME_BAD")
PY
grep -q RESUME_OK "$REPORT"; check "$([ $? = 0 ] && echo ok)" "SIGINT saves a checkpoint and stops; --resume continues to step 50"

# 4: callback overhead against the plain Trainer.
"$PY" - "$WORK/config.yml" "$WORK" <<'PY' >> "$REPORT" 2>&1
import os, statistics, sys, time, yaml
from transformers import Trainer, set_seed
from tunelab_engines import hf_runner as hr
from tunelab_engines.callback import EventLog, TunelabCallback
cfg = yaml.safe_load(open(sys.argv[1]))
cfg["max_steps"], cfg["save_steps"], cfg["logging_steps"] = 150, 100000, 1
def once(with_cb, tag):
    set_seed(7)
    model, tok = hr.load_model(cfg, os.path.dirname(sys.argv[1]))
    ex = hr.build_examples(cfg, tok, os.path.dirname(sys.argv[1]))
    c = dict(cfg, output_dir=os.path.join(sys.argv[2], "bench-" + tag))
    args = hr.training_arguments(c, False)
    cbs = [TunelabCallback(log=EventLog(os.path.join(c["output_dir"], "events.jsonl"), tag), meta={"method": "lora"})] if with_cb else []
    tr = Trainer(model=model, args=args, train_dataset=ex, data_collator=hr.Collator(tok.pad_token_id), callbacks=cbs)
    out = tr.train()
    return tr.state.num_input_tokens_seen / out.metrics["train_runtime"]
once(False, "warm")
pairs = []
for i in range(3):
    base = once(False, "plain%d" % i)
    ours = once(True, "tunelab%d" % i)
    pairs.append((base, ours))
    print("pair %d: plain %.0f tok/s, with callback %.0f tok/s, overhead %.2f %%" % (i, base, ours, 100 * (1 - ours / base)))
med = statistics.median(100 * (1 - o / b) for b, o in pairs)
print("median overhead %.2f %%" % med)
print("OVERHEAD_OK" if med < 2.0 else "OVERHEAD_BAD")
PY
grep -q OVERHEAD_OK "$REPORT"; check "$([ $? = 0 ] && echo ok)" "callback overhead under 2 % of tokens/s"

say "report: $REPORT"
exit $fail

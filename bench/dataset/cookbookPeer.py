"""Peer for bench/datasetThroughput.ts: the OpenAI cookbook's chat fine-tuning format checks
(Chat_finetuning_data_prep.ipynb, section "Format validation"), as a streaming json.loads loop
over the lines (the notebook itself first loads the whole file into a list, which needs several
times the file size in memory). Prints one JSON line like the Node contenders."""
import json, resource, sys, time
from collections import defaultdict

def main(path):
    t0 = time.perf_counter()
    format_errors = defaultdict(int)
    n_missing_system = n_missing_user = 0
    records = 0
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            records += 1
            try:
                ex = json.loads(line)
            except json.JSONDecodeError:
                format_errors["invalid_json"] += 1
                continue
            if not isinstance(ex, dict):
                format_errors["data_type"] += 1
                continue
            messages = ex.get("messages", None)
            if not messages:
                format_errors["missing_messages_list"] += 1
                continue
            for message in messages:
                if "role" not in message or "content" not in message:
                    format_errors["message_missing_key"] += 1
                if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                    format_errors["message_unrecognized_key"] += 1
                if message.get("role", None) not in ("system", "user", "assistant", "function"):
                    format_errors["unrecognized_role"] += 1
                content = message.get("content", None)
                function_call = message.get("function_call", None)
                if (not content and not function_call) or not isinstance(content, str):
                    format_errors["missing_content"] += 1
            if not any(message.get("role", None) == "assistant" for message in messages):
                format_errors["example_missing_assistant_message"] += 1
            if not any(message.get("role", None) == "system" for message in messages):
                n_missing_system += 1
            if not any(message.get("role", None) == "user" for message in messages):
                n_missing_user += 1
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_mb = usage.ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpuSeconds": usage.ru_utime + usage.ru_stime, "maxRssMb": rss_mb, "records": records,
                      "detail": json.dumps(dict(format_errors)) + f", missing system {n_missing_system}, missing user {n_missing_user}"}))

main(sys.argv[1])

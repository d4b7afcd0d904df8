#!/usr/bin/env bash
# The profile switch on a machine with a real GPU, real nvidia-smi and a
# real Ollama (issue 15's device check). Needs two LLMs and an embedding
# model pulled, e.g.:  ollama pull nomic-embed-text qwen2.5:0.5b llama3.2:1b
#   bash bench/gpu_profile_check.sh [llm_a] [llm_b] [embedder]
# Prints nvidia-smi and /api/ps around each switch, and the switch reports.
set -euo pipefail
LLM_A=${1:-qwen2.5:0.5b}
LLM_B=${2:-llama3.2:1b}
EMBED=${3:-nomic-embed-text}
OLLAMA=${OLLAMA_URL:-http://127.0.0.1:11434}
BIN=${LAKEHOUSE_BINARY:-$(dirname "$0")/../build/lakehouse}
command -v nvidia-smi >/dev/null || { echo "no nvidia-smi on PATH"; exit 2; }
curl -sf "$OLLAMA/api/tags" >/dev/null || { echo "no Ollama at $OLLAMA"; exit 2; }
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
printf '[profiles]\nollama_url = "%s"\n[vectors]\nollama_url = "%s"\n[inbox]\nenabled = false\n' "$OLLAMA" "$OLLAMA" > "$WORK/lakehouse.toml"
"$BIN" --config "$WORK/lakehouse.toml" --data-dir "$WORK/data" serve --port 0 --port-file "$WORK/port" > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
H="http://127.0.0.1:$(cat "$WORK/port")"
snap() {
  echo "== $1"
  nvidia-smi --query-gpu=memory.used,memory.total --format=csv,noheader,nounits
  curl -s "$OLLAMA/api/ps" | python3 -c 'import json,sys; [print("  ", m["model"], m["size"], m["size_vram"]) for m in json.load(sys.stdin)["models"]]'
}
curl -s -X POST "$H/vectors/profiles" -d "{\"id\":\"a\",\"embedder\":{\"provider\":\"ollama\",\"model\":\"$EMBED\"},\"llm\":{\"provider\":\"ollama\",\"model\":\"$LLM_A\"}}" >/dev/null
curl -s -X POST "$H/vectors/profiles" -d "{\"id\":\"b\",\"embedder\":{\"provider\":\"ollama\",\"model\":\"$EMBED\"},\"llm\":{\"provider\":\"ollama\",\"model\":\"$LLM_B\"}}" >/dev/null
snap "before"
for target in a b a b; do
  echo "-- activate $target"; curl -s -X POST "$H/vectors/profile/$target/activate" -d '{}'; echo
  snap "after activate $target"
done
echo "-- /admin/vram"; curl -s "$H/admin/vram"; echo
echo "-- deactivate"; curl -s -X POST "$H/vectors/profile/b/deactivate" -d '{}'; echo
snap "after deactivate"

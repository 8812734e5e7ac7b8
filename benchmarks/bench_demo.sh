#!/usr/bin/env bash
# Wall time and peak memory of `metacompress demo` from scratch (no reused models or cache).
# Usage: benchmarks/bench_demo.sh [OUT_DIR]
set -euo pipefail
out=${1:-$(mktemp -d)/demo}
rm -rf "$out"
/usr/bin/time -v metacompress demo --out "$out" --quiet 2> "$out.time" >/dev/null || { cat "$out.time"; exit 1; }
grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$out.time"
python - "$out/report/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("sources", r["data"]["n_sources"], "follow-ups", r["data"]["n_follow_ups"])
PY

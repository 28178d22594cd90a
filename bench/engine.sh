#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The engine's cost per packet on the host for 10, 100, 1,000 and 10,000
# rules (issue 6: within 20 % from 10 to 10,000 rules).
#
#   bench/engine.sh [OUTDIR]      (or: make -C bench engine ENGINE_OUT=OUTDIR)
#
# Per size: rulegen.py writes the rules and a corpus aimed at them,
# `nfqringd --check` must accept the file, engine_bench judges the corpus
# (and fails if any packet meets another fate than the one it was built
# for).  Instructions per packet come from the CPU's counter when there is
# one, else from callgrind restricted to the measured loop
# (--toggle-collect=measured_loop): deterministic, setup excluded.
# Writes OUTDIR/engine.csv, OUTDIR/engine.md and, with callgrind, the
# profiles and callgrind_annotate listings per size.
#
# ENGINE_SIZES="10 100 1000 10000"  ENGINE_ROUNDS=100 (native timing rounds)
# ENGINE_CG_ROUNDS=2 (rounds under callgrind)  ENGINE_BACKEND=auto
# ENGINE_PATTERNS=K: K content rules at every size (default rulegen's
# rules/10, 1 to 100), to tell the classifier's growth from the matcher's
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${1:-$top/build/bench/engine-$(date +%Y%m%d-%H%M%S)}
bench=${ENGINE_BENCH:-$top/build/bench/engine_bench}
nfqringd=${NFQRINGD:-$top/daemon/build/nfqringd}
sizes=${ENGINE_SIZES:-10 100 1000 10000}
rounds=${ENGINE_ROUNDS:-100}
cg_rounds=${ENGINE_CG_ROUNDS:-2}
backend=${ENGINE_BACKEND:-auto}
patterns=${ENGINE_PATTERNS:+--patterns $ENGINE_PATTERNS}

for f in "$bench" "$nfqringd"; do
	[ -x "$f" ] || { echo "engine.sh: $f missing: make -C bench all; make -C daemon" >&2; exit 1; }
done
mkdir -p "$out"
csv=$out/engine.csv
echo "rules,patterns,matcher,insns_per_pkt,insns_source,ratio_vs_first,ns_per_pkt,hits_policy,hits_addr,hits_port,hits_content,hits_iface,hits_rewrite,content_rules_hit,packets" > "$csv"

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

base=
for n in $sizes; do
	p=$out/rules-$n
	# shellcheck disable=SC2086
	python3 "$here/rulegen.py" -n "$n" $patterns -o "$p" 2>/dev/null
	if ! "$nfqringd" --check "$p.nft" > "$out/check-$n.txt" 2>&1; then
		echo "engine.sh: nfqringd --check refused $p.nft:" >&2
		cat "$out/check-$n.txt" >&2
		exit 1
	fi
	line=$("$bench" -b "$backend" -r "$rounds" "$p.nft" "$p.corpus")
	echo "$line" > "$out/native-$n.txt"
	insns=$(field insns_per_pkt "$line")
	src=perf
	if [ "$insns" = NA ]; then
		command -v valgrind >/dev/null || { echo "engine.sh: no hardware counters and no valgrind (apt-get install valgrind)" >&2; exit 1; }
		cg=$out/callgrind-$n.out
		cgline=$(valgrind --tool=callgrind --toggle-collect=measured_loop \
			--callgrind-out-file="$cg" -q \
			"$bench" -b "$backend" -r "$cg_rounds" "$p.nft" "$p.corpus")
		ir=$(sed -n 's/^summary: //p' "$cg")
		pk=$(field packets "$cgline")
		insns=$(awk -v ir="$ir" -v pk="$pk" -v r="$cg_rounds" 'BEGIN { printf "%.0f", ir / (pk * r) }')
		src=callgrind
		# matcher under callgrind: valgrind hides AVX-512, so Hyperscan may run another path
		echo "$cgline" > "$out/callgrind-$n.txt"
		callgrind_annotate --inclusive=yes "$cg" > "$out/annotate-$n.txt" 2>/dev/null || true
	fi
	[ -n "$base" ] || base=$insns
	ratio=$(awk -v a="$insns" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
	pats=$(sed -n 's/.*--patterns \([0-9]*\).*/\1/p' "$p.nft" | head -1)
	echo "$n,$pats,$(field matcher "$line"),$insns,$src,$ratio,$(field ns_per_pkt "$line"),$(field hits_policy "$line"),$(field hits_addr "$line"),$(field hits_port "$line"),$(field hits_content "$line"),$(field hits_iface "$line"),$(field hits_rewrite "$line"),$(field content_rules_hit "$line"),$(field packets "$line")" >> "$csv"
	echo "engine.sh: $n rules: $insns instructions/packet ($src), ratio $ratio, $(field ns_per_pkt "$line") ns/packet" >&2
done

python3 - "$csv" "$out/engine.md" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
worst = max(float(r["ratio_vs_first"]) for r in rows)
holds = worst <= 1.2
with open(sys.argv[2], "w") as f:
    f.write("| rules | content patterns | matcher | instructions/packet | ratio vs %s rules | ns/packet | hits: policy / addr / port / content / iface / rewrite (content rules hit) |\n" % rows[0]["rules"])
    f.write("|---:|---:|---|---:|---:|---:|---|\n")
    for r in rows:
        f.write("| %s | %s | %s | %s (%s) | %s | %s | %s / %s / %s / %s / %s / %s (%s) of %s |\n" % (
            r["rules"], r["patterns"], r["matcher"], r["insns_per_pkt"], r["insns_source"],
            r["ratio_vs_first"], r["ns_per_pkt"], r["hits_policy"], r["hits_addr"], r["hits_port"],
            r["hits_content"], r["hits_iface"], r["hits_rewrite"], r["content_rules_hit"], r["packets"]))
    f.write("\nBar (instructions per packet within 20 %% from the first to the last size): %s (worst ratio %.2f)\n"
            % ("holds" if holds else "NOT met", worst))
print(open(sys.argv[2]).read())
EOF
echo "engine.sh: results in $out" >&2

#!/bin/sh
# bench-vs-pytorch.sh - `make bench-pytorch`: mlptrain and PyTorch side by side on the same
# machine at the same time: for each config, mlptrain (default threads, best of 3) and
# PyTorch (scripts/bench-pytorch.py: best of its thread settings) take turns, ROUNDS times,
# so a change in the machine's other load hits both; each keeps its best round.
# Usage: [PYTHON=/usr/bin/python3] [ROUNDS=2] scripts/bench-vs-pytorch.sh BENCH_TRAIN [ID...]
set -u
bench=${1:?usage: bench-vs-pytorch.sh BENCH_TRAIN [ID...]}
shift
ids=${*:-A1 A2 A3 A4 A5 D1 D2}
py=${PYTHON:-/usr/bin/python3}
rounds=${ROUNDS:-2}
here=$(dirname "$0")
if ! "$py" -c "import torch" 2>/dev/null; then
    echo "bench-vs-pytorch: $py cannot import torch (Debian: apt-get install python3-torch" \
        "libopenblas0-pthread; set PYTHON to another interpreter)" >&2
    exit 1
fi
echo "load average at start: $(cat /proc/loadavg)"
"$py" -c "import torch; print('PyTorch', torch.__version__)"
printf "%-3s %12s %12s %-9s %9s\n" id mlptrain PyTorch "(T/B)" speed-up
for id in $ids; do
    m=
    p=
    setting=
    r=0
    while [ "$r" -lt "$rounds" ]; do
        v=$("$bench" --quiet --runs 3 "$id" | awk '{ print $3 }')
        if [ -n "$v" ] && { [ -z "$m" ] || awk "BEGIN { exit !($v < $m) }"; }; then m=$v; fi
        line=$("$py" "$here/bench-pytorch.py" "$id" | grep " best ")
        v=$(echo "$line" | sed -E 's/.* best ([0-9.]+) \(([0-9/]+)\)$/\1/')
        s=$(echo "$line" | sed -E 's/.* best ([0-9.]+) \(([0-9/]+)\)$/\2/')
        if [ -n "$v" ] && { [ -z "$p" ] || awk "BEGIN { exit !($v < $p) }"; }; then p=$v; setting=$s; fi
        r=$((r + 1))
    done
    printf "%-3s %12s %12s %-9s %8.2fx\n" "$id" "$m" "$p" "($setting)" "$(awk "BEGIN { print $p / $m }")"
done
echo "s/epoch; T/B = torch / OpenBLAS threads of PyTorch's best setting"
echo "load average at end: $(cat /proc/loadavg)"

#!/bin/sh
# report_test.sh - the study page (report.html) as a user gets it: written by a real sweep
# (two swept keys, so every kind of sweep plot) and again by `collect` (the same bytes; a
# run without result.csv shown as incomplete), and the page of a study written by hand by
# `$BUILD/tests/test_report --page DIR` (a value '<script>...', a run directory named with
# < & ", diverged, interrupted, incomplete and never started runs). Each page must be
# valid HTML (xmllint --html, and tidy, which knows HTML5), need nothing from the network,
# and load in a real headless browser (chromium): no console message, one table row per
# point in the DOM after load (and no injected script), and a screenshot that is not a
# blank page's. Without a tool the checks that need it are skipped (a failure with CI set).
. tests/lib.sh
BUILD=${BUILD:-build}
gen=$BUILD/tests/test_report

cat >"$T/study.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
val_split = 0.2
train_limit = 600
[model]
hidden = 16
[optim]
optimizer = sgd
lr = 0.1
[train]
epochs = 2
batch_size = 64
[sweep]
model.hidden = 16 | 32
optim.lr = 0.1 | 0.01
seeds = 1, 2
INI

rows() { tr -d '\r' <"$1" | wc -l | tr -d ' '; }
# quiet: the last t_run exited 0 and printed nothing
quiet() { [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ]; }

# --- the page of a real sweep, and again by collect ---
t_run "$MLPTRAIN" sweep "$T/study.ini" -o "$T/s" -q --jobs 2
t_check "sweep exits 0 ($(cat "$T/err"))" [ "$rc" -eq 0 ]
sweep_page=$T/s/report.html
t_check "sweep writes report.html" [ -s "$sweep_page" ]
t_check "no temporary left beside it" [ -z "$(find "$T/s" -maxdepth 1 -name 'report.html.tmp.*')" ]
n_points=$(($(rows "$T/s/summary_by_point.csv") - 1))
t_check "4 points in summary_by_point.csv ($n_points)" [ "$n_points" -eq 4 ]
t_check "report.html: a row per point" [ "$(grep -c '<tr class="point' "$sweep_page")" -eq "$n_points" ]
t_check "report.html: one best point" [ "$(grep -c '<tr class="point best"' "$sweep_page")" -eq 1 ]
t_check "report.html: a row per run, each linking its curves.svg" \
    [ "$(grep -c '<tr class="run s-ok".*/curves.svg">curves</a>' "$sweep_page")" -eq 8 ]
t_check "report.html: every sweep plot inline (curves, 2 by key, heatmap)" \
    [ "$(grep -c 'src="data:image/svg+xml;base64,' "$sweep_page")" -eq 4 ]
t_check "report.html: the command that made the runs" \
    grep -qF "<pre>$MLPTRAIN sweep $T/study.ini -o $T/s -q --jobs 2</pre>" "$sweep_page"
t_check "report.html: the config file as read, a line to a line" grep -qx 'model.hidden = 16 | 32' "$sweep_page"
cp "$sweep_page" "$T/from_sweep.html"
rm "$sweep_page"
t_run "$MLPTRAIN" collect "$T/s" -q
t_check "collect exits 0 ($(cat "$T/err"))" [ "$rc" -eq 0 ]
t_check "collect writes the same report.html" cmp -s "$T/from_sweep.html" "$sweep_page"
# a run that failed: its result.csv gone; collect skips it and the page says so
mkdir "$T/f"
cp -R "$T/s/"* "$T/f/"
failed=$(cd "$T/f" && ls -d ./*hidden=32_lr=0.01_seed=2 | head -n 1)
failed=${failed#./}
rm "$T/f/$failed/result.csv"
t_run "$MLPTRAIN" collect "$T/f" -q
t_check "collect of a failed run exits 1" [ "$rc" -eq 1 ]
t_check "the failed run ($failed) is shown incomplete, with the reason" \
    grep -q "<tr class=\"run s-incomplete\"><td>$failed</td><td class=\"status\">incomplete</td><td>[^<]*result.csv: missing" "$T/f/report.html"
t_check "1 not collected, in the summary line" grep -q '1 not collected</a>' "$T/f/report.html"

# --- the page of the study written by hand ---
t_check "page writer $gen is built (make $gen)" test -x "$gen"
mkdir "$T/h"
t_run "$gen" --page "$T/h"
t_check "test_report --page exits 0 ($(cat "$T/err"))" [ "$rc" -eq 0 ]
hand_page=$T/h/report.html
t_check "hand page: no raw <script> but its own" [ "$(grep -c '<script' "$hand_page")" -eq 1 ]
t_check "hand page: the value escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$hand_page"
t_check "hand page: a diverged run shown as such" \
    grep -q '<tr class="run s-diverged".*<td class="status">diverged</td>' "$hand_page"

for page in "$sweep_page" "$hand_page"; do
    name=${page#"$T"/}
    # offline: nothing to fetch but the page's own data: URLs and relative files
    t_check "$name: no network reference (src, href, url(), @import, <link>)" \
        sh -c "! grep -Eiq '(src|href)=\"(https?:)?//|url\\(|@import|<link' '$page'"
    if t_tool xmllint libxml2-utils; then
        t_run xmllint --html --noout "$page"
        t_check "$name: xmllint --html prints nothing ($(head -c 300 "$T/err"))" quiet
    else
        t_skip "$name: xmllint --html prints nothing" "$t_why"
    fi
    if t_tool tidy tidy; then
        t_run tidy -q -e "$page"
        t_check "$name: tidy -e finds no error or warning ($(head -c 300 "$T/err"))" quiet
    else
        t_skip "$name: tidy -e finds no error or warning" "$t_why"
    fi
done

# --- a real browser ---
# chromium NAME ARGS... URL: a headless run into $T/NAME.out and $T/NAME.err, with its own
# profile, console messages on stderr, and every host name unresolvable (offline whatever
# the machine has).
chromium_run() {
    c_name=$1
    shift
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --user-data-dir="$T/chrome" --host-resolver-rules='MAP * ~NOTFOUND' \
        --enable-logging=stderr --v=0 "$@" >"$T/$c_name.out" 2>"$T/$c_name.err"
}

browser_checks() {
    t0=$(date +%s)
    printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body></body></html>\n' >"$T/blank.html"
    for page in "$sweep_page" "$hand_page"; do
        name=${page#"$T"/}
        chromium_run dom --dump-dom "file://$page"
        rc=$?
        t_check "$name: chromium --dump-dom exits 0 ($(grep -v dbus "$T/dom.err" | tail -n 3))" \
            [ "$rc" -eq 0 ]
        t_check "$name: no console message ($(grep CONSOLE "$T/dom.err" | head -n 3))" \
            sh -c "! grep -q 'CONSOLE' '$T/dom.err'"
        t_check "$name: nothing failed to load ($(grep -E 'Failed to load|net::ERR' "$T/dom.err" | head -n 3))" \
            sh -c "! grep -Eq 'Failed to load|net::ERR' '$T/dom.err'"
        pts=$(($(rows "$(dirname "$page")/summary_by_point.csv") - 1))
        t_check "$name: the DOM after load has a row per point of summary_by_point.csv ($pts)" \
            [ "$(grep -o '<tr class="point[ "]' "$T/dom.out" | wc -l)" -eq "$pts" ]
        t_check "$name: the DOM has one script, the page's own" \
            [ "$(grep -o '<script' "$T/dom.out" | wc -l)" -eq 1 ]
        t_check "$name: the page's script ran (sortable headings)" grep -q 'title="sort by this column"' "$T/dom.out"
    done
    chromium_run blank --screenshot="$T/blank.png" --window-size=1200,1600 "file://$T/blank.html"
    chromium_run shot --screenshot="$T/shot.png" --window-size=1200,1600 "file://$sweep_page"
    t_check "screenshot written (PNG)" \
        sh -c "head -c 8 '$T/shot.png' | od -An -c | grep -q 'P   N   G'"
    blank=$(wc -c <"$T/blank.png" 2>/dev/null || echo 0)
    shot=$(wc -c <"$T/shot.png" 2>/dev/null || echo 0)
    t_check "a blank page's screenshot written ($blank bytes)" [ "$blank" -gt 0 ]
    t_check "screenshot is not blank ($shot bytes, a blank page $blank)" [ "$shot" -gt $((blank * 4)) ]
    if [ -n "${REPORT_SHOT:-}" ]; then
        cp "$T/shot.png" "$REPORT_SHOT"
    fi
    echo "$suite: browser checks took $(($(date +%s) - t0)) s"
}

if t_tool chromium chromium; then
    t_group 15 "browser checks" browser_checks
else
    t_skip "browser checks (chromium --dump-dom, console, screenshot)" "$t_why" 15
fi
t_done

#!/bin/sh
# plot_test.sh - every kind of SVG the plot module writes (per-run curves with NaN gaps
# and a log LR panel, overlays with 25 and 30 legend entries (right, below), error bars on
# log and categorical x, a heatmap with a missing cell, degenerate data, labels with & and
# <) must parse as XML (xmllint) and render (rsvg-convert) to a non-empty PNG. The samples come from
# `$BUILD/tests/test_plot --samples DIR`, written under a comma-decimal locale. Without a
# tool or the locale the checks that need it are skipped (a failure with CI set).
. tests/lib.sh
BUILD=${BUILD:-build}
gen=$BUILD/tests/test_plot

t_check "sample writer $gen is built (make $gen)" test -x "$gen"
xmllint=true rsvg=true
t_tool xmllint libxml2-utils || { xmllint=false; why_xmllint=$t_why; }
t_tool rsvg-convert librsvg2-bin || { rsvg=false; why_rsvg=$t_why; }

# a locale whose decimal point is a comma (one setlocale accepts: `locale` says nothing)
loc=C
for l in de_DE fr_FR nl_NL; do
    if [ -z "$(LC_ALL=$l.UTF-8 locale 2>&1 >/dev/null)" ]; then
        loc=$l.UTF-8
        break
    fi
done
echo "$suite: samples written under LC_ALL=$loc"

mkdir "$T/svg"
t_run env LC_ALL="$loc" "$gen" --samples "$T/svg"
t_check "test_plot --samples exits 0 ($(cat "$T/err"))" test "$rc" -eq 0

for k in curves overlay overlay_below errorbars heatmap edges; do
    f=$T/svg/$k.svg
    t_check "$k.svg written" test -s "$f"
    if $xmllint; then
        t_check "$k.svg parses (xmllint --noout)" xmllint --noout "$f"
    else
        t_skip "$k.svg parses (xmllint --noout)" "$why_xmllint"
    fi
    if $rsvg; then
        t_check "$k.svg renders (rsvg-convert)" rsvg-convert -o "$T/$k.png" "$f"
        t_check "$k.png is a non-empty PNG" sh -c "test -s '$T/$k.png' && head -c 8 '$T/$k.png' | od -An -c | grep -q 'P   N   G'"
    else
        t_skip "$k.svg renders (rsvg-convert)" "$why_rsvg"
        t_skip "$k.png is a non-empty PNG" "$why_rsvg"
    fi
    # numbers in attributes use '.', whatever LC_ALL says
    if [ "$loc" != C ]; then
        t_check "$k.svg has no decimal comma under $loc" sh -c "! grep -Eq '=\"-?[0-9]+,[0-9]' '$f'"
    else
        t_skip "$k.svg has no decimal comma under a comma-decimal locale" \
            "no de_DE, fr_FR or nl_NL locale installed (Debian: apt-get install locales-all)"
    fi
    t_check "$k.svg uses only sans-serif" sh -c "! grep -o 'font-family=\"[^\"]*\"' '$f' | grep -vq 'sans-serif'"
    t_check "$k.svg has a viewBox" grep -q 'viewBox="0 0 ' "$f"
done

# what each sample must show
s=$T/svg
t_check "curves: escaped title" grep -q 'lr=0.1 &amp; &lt;step&gt;' "$s/curves.svg"
t_check "curves: no raw <step>" sh -c "! grep -q '<step>' '$s/curves.svg'"
t_check "curves: a line per series (6)" test "$(grep -c 'class="series"' "$s/curves.svg")" -eq 6
t_check "curves: validation gap is a second subpath" \
    sh -c "grep 'class=\"series\".*stroke-dasharray' '$s/curves.svg' | head -n 1 | grep -q '[0-9]M[0-9]'"
t_check "curves: log LR ticks" grep -q '>0.005<' "$s/curves.svg"
t_check "curves: legend entries" test "$(grep -c '>validation<\|>train<\|>test<\|>learning rate<' "$s/curves.svg")" -eq 4
t_check "overlay: 25 legend entries" \
    test "$(sed -n '/class="legend"/,/<\/g>/p' "$s/overlay.svg" | grep -c '<text')" -eq 25
t_check "overlay: 50 lines" test "$(grep -c 'class="series"' "$s/overlay.svg")" -eq 50
t_check "overlay_below: 30 legend entries" \
    test "$(sed -n '/class="legend"/,/<\/g>/p' "$s/overlay_below.svg" | grep -c '<text')" -eq 30
t_check "overlay_below: log loss axis" grep -q '>1e-04<' "$s/overlay_below.svg"
t_check "errorbars: bars" test "$(grep -c 'class="errorbar"' "$s/errorbars.svg")" -eq 4
t_check "errorbars: categories" grep -q '>cosine_warm_restarts<' "$s/errorbars.svg"
t_check "errorbars: escaped legend" grep -q 'off &amp; &lt;no affine&gt;' "$s/errorbars.svg"
t_check "heatmap: missing cell" test "$(grep -c '>n/a<' "$s/heatmap.svg")" -eq 2
t_check "heatmap: escaped row label" grep -q '0.003 &amp; &lt;warmup&gt;' "$s/heatmap.svg"
t_check "edges: empty panel says so" grep -q '>no data<' "$s/edges.svg"
t_check "edges: all-NaN series noted" grep -q '>all NaN (no data)<' "$s/edges.svg"
t_done

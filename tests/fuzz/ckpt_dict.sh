#!/bin/sh
# Prints tests/fuzz/ckpt.dict from the sources: the magics (src/ckpt.c), every section
# name the writers use (src/train.c, src/model.c) alone and as a section header's start
# (type byte, name length byte, name), the activation and dataset names (src/params.c),
# and edge values of the header and counts. Run from the top directory after a section
# is added:  sh tests/fuzz/ckpt_dict.sh > tests/fuzz/ckpt.dict
set -eu
echo '# ckpt.dict - libFuzzer dictionary for fuzz_ckpt, written by tests/fuzz/ckpt_dict.sh:'
echo '# magics, section names and headers, choice names, little-endian edge values.'
sed -n 's/.*magics\[\] = {\(.*\)};.*/\1/p' src/ckpt.c | grep -o '"[^"]*"' | tr -d '"' |
    awk '{ printf "magic_%s=\"%s\"\n", $0, $0 }'
# ckpt_put_TYPE(&w, "name" -> the type byte of include/ckpt.h's CkptType
grep -ohE 'ckpt_put_[a-z0-9]+\(&w, "[^"]+"' src/train.c src/model.c |
    sed 's/ckpt_put_\([a-z0-9]*\)(&w, "\([^"]*\)"/\1 \2/' | sort -u -k2,2 |
    awk 'BEGIN { t["i64"] = 1; t["long"] = 1; t["u64"] = 2; t["f64"] = 3; t["double"] = 3;
                 t["f32"] = 4; t["i32"] = 5; t["text"] = 6 }
         { n = $2; gsub(/\./, "_", n)
           printf "name_%s=\"%s\"\n", n, $2
           printf "section_%s=\"\\x%02x\\x%02x%s\"\n", n, t[$1], length($2), $2 }'
sed -n '/\(activation\|dataset\)_names\[\] = {/,/};/p' src/params.c | grep -o '"[^"]*"' |
    tr -d '"' | awk '{ printf "choice_%s=\"%s\"\n", $0, $0 }'
cat <<'END'
version_1="\x01\x00\x00\x00"
header_32="\x20\x00\x00\x00"
u32_zero="\x00\x00\x00\x00"
u32_max="\xff\xff\xff\xff"
i32_max="\xff\xff\xff\x7f"
i32_min="\x00\x00\x00\x80"
u64_one="\x01\x00\x00\x00\x00\x00\x00\x00"
u64_zero="\x00\x00\x00\x00\x00\x00\x00\x00"
i64_minus_one="\xff\xff\xff\xff\xff\xff\xff\xff"
i64_max="\xff\xff\xff\xff\xff\xff\xff\x7f"
i64_min="\x00\x00\x00\x00\x00\x00\x00\x80"
i64_2_31="\x00\x00\x00\x80\x00\x00\x00\x00"
i64_2_32="\x00\x00\x00\x00\x01\x00\x00\x00"
f64_nan="\x00\x00\x00\x00\x00\x00\xf8\x7f"
f64_inf="\x00\x00\x00\x00\x00\x00\xf0\x7f"
f64_minus_inf="\x00\x00\x00\x00\x00\x00\xf0\xff"
f64_one="\x00\x00\x00\x00\x00\x00\xf0\x3f"
f64_minus_one="\x00\x00\x00\x00\x00\x00\xf0\xbf"
f32_nan="\x00\x00\xc0\x7f"
f32_inf="\x00\x00\x80\x7f"
f32_one="\x00\x00\x80\x3f"
END

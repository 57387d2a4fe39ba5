#!/bin/sh
# Prints tests/fuzz/config.dict from the key table (src/config.c) and the choice names
# (src/params.c), plus INI syntax and edge values. Run from the top directory after the
# table changes:  sh tests/fuzz/config_dict.sh > tests/fuzz/config.dict
set -eu
echo '# config.dict - libFuzzer dictionary for fuzz_config, written by tests/fuzz/config_dict.sh:'
echo '# the sections, keys and choices of the key table, INI syntax and edge values.'
pairs=$(sed -n 's/^ *\(BOOL\|LONG\|ULLONG\|DOUBLE\|ENUM\|STRING\|EXPRESSION\|LIST\)("\([a-z]*\)", "\([A-Za-z0-9_]*\)".*/\2 \3/p' src/config.c)
echo "$pairs" | awk '!seen[$1]++ { printf "section_%s=\"[%s]\"\n", $1, $1 }'
echo "$pairs" | awk '!seen[$2]++ { printf "key_%s=\"%s\"\n", $2, $2 }'
echo "$pairs" | awk '{ printf "set_%s_%s=\"%s.%s=\"\n", $1, $2, $1, $2 }'
sed -n '/names\[\] = {/,/};/p' src/params.c | grep -o '"[^"]*"' | tr -d '"' |
    awk '!seen[$0]++ { n = $0; gsub(/[^A-Za-z0-9_]/, "_", n); printf "choice_%s=\"%s\"\n", n, $0 }'
cat <<'END'
choice_auto="auto"
eq=" = "
eq_tight="="
semicolon=";"
hash="#"
blank_semicolon=" ;"
blank_hash=" #"
lbracket="["
rbracket="]"
comma=", "
nl="\x0a"
crlf="\x0d\x0a"
cr="\x0d"
bom="\xef\xbb\xbf"
nul="\x00"
tab="\x09"
true="true"
false="false"
yes="yes"
off="off"
zero="0"
one="1"
minus_one="-1"
small="1e-3"
half="0.5"
long_max="9223372036854775807"
long_over="9223372036854775808"
ullong_max="18446744073709551615"
ullong_over="18446744073709551616"
int_max="2147483647"
int_over="4294967296"
double_max="1.7976931348623157e308"
double_over="1e309"
denormal="4.9e-324"
hex="0x10"
inf="inf"
nan="nan"
dot_dot=".."
slash="/"
caret="^"
star_star="**"
lparen="("
rparen=")"
var_epoch="epoch"
var_iteration="iteration"
var_base_lr="base_lr"
END

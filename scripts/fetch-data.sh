#!/bin/sh
# fetch-data.sh - downloads one full dataset from its official location and leaves the
# uncompressed files mlptrain reads, after checking their sizes and, where known, MD5 sums.
# POSIX sh; needs curl or wget, gzip, and tar for CIFAR-10. mlptrain itself never downloads.
set -u

prog=fetch-data.sh

usage() {
    cat <<'EOF'
Usage: scripts/fetch-data.sh [--force] NAME [DEST]

Downloads the full NAME dataset into directory DEST (default data/full/NAME) and
unpacks it into the uncompressed files mlptrain reads. Every file's size is checked,
and its MD5 sum where one is published. Nothing is written into DEST unless every
file passes.

  NAME        mnist | fashion-mnist | kmnist | cifar10
  DEST        directory to create or fill (default data/full/NAME)
  --force     replace files that already exist in DEST (without it: refuse, exit 1)
  -h, --help  show this help and exit

Files written:
  mnist, fashion-mnist, kmnist   train-images-idx3-ubyte  train-labels-idx1-ubyte
                                 t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte
  cifar10                        data_batch_1.bin .. data_batch_5.bin  test_batch.bin
                                 batches.meta.txt

Sources:
  mnist          https://ossci-datasets.s3.amazonaws.com/mnist/
                 (then https://storage.googleapis.com/cvdf-datasets/mnist/)
  fashion-mnist  https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/
  kmnist         http://codh.rois.ac.jp/kmnist/dataset/kmnist/
  cifar10        https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz

Environment:
  FETCH_MIRROR   base URL to use instead (a location holding the same file names;
                 file:// URLs need curl). The MD5 sums of the compressed downloads
                 are then not checked, since a mirror may recompress them; sizes and
                 the MD5 sums of uncompressed files still are.

Then set `path = DEST` in the [data] section of the experiment's INI file.
Exit status: 0 done, 1 failed or refused to overwrite, 2 usage error.
EOF
}

die() {
    echo "$prog: $*" >&2
    exit 1
}

usage_error() {
    echo "$prog: $*" >&2
    echo "Usage: scripts/fetch-data.sh [--force] NAME [DEST]  (--help for more)" >&2
    exit 2
}

# ---- arguments ----

force=0
name=
dest=
npos=0
for arg in "$@"; do
    case $arg in
    -h | --help)
        usage
        exit 0
        ;;
    --force) force=1 ;;
    -*) usage_error "unknown option '$arg'" ;;
    *)
        npos=$((npos + 1))
        case $npos in
        1) name=$arg ;;
        2) dest=$arg ;;
        *) usage_error "too many arguments" ;;
        esac
        ;;
    esac
done
[ "$npos" -ge 1 ] || usage_error "no dataset named"
[ "$npos" -lt 2 ] || [ -n "$dest" ] || usage_error "DEST is empty"
[ -n "$dest" ] || dest=data/full/$name

idx_files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
cifar_files="data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin"
case $name in
mnist)
    bases="https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist"
    outputs=$idx_files
    ;;
fashion-mnist)
    bases="https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion"
    outputs=$idx_files
    ;;
kmnist)
    bases="http://codh.rois.ac.jp/kmnist/dataset/kmnist"
    outputs=$idx_files
    ;;
cifar10)
    bases="https://www.cs.toronto.edu/~kriz"
    outputs="$cifar_files batches.meta.txt"
    ;;
*) usage_error "unknown dataset '$name' (expected mnist, fashion-mnist, kmnist or cifar10)" ;;
esac
official=1
if [ -n "${FETCH_MIRROR:-}" ]; then
    bases=${FETCH_MIRROR%/}
    official=0
fi

# ---- refuse to overwrite, before touching the network ----

for f in $outputs; do
    if [ -d "$dest/$f" ]; then
        die "$dest/$f is a directory"
    fi
done
if [ "$force" -eq 0 ]; then
    existing=
    for f in $outputs; do
        if [ -e "$dest/$f" ] || [ -L "$dest/$f" ]; then
            existing="$existing $f"
        fi
    done
    if [ -n "$existing" ]; then
        die "refusing to overwrite in $dest:$existing (use --force to replace them)"
    fi
fi

# ---- tools ----

if command -v curl >/dev/null 2>&1; then
    downloader=curl
elif command -v wget >/dev/null 2>&1; then
    downloader=wget
else
    die "needs curl or wget to download"
fi
command -v gzip >/dev/null 2>&1 || die "needs gzip to decompress"
if [ "$name" = cifar10 ]; then
    command -v tar >/dev/null 2>&1 || die "needs tar to unpack CIFAR-10"
fi

# Prints the MD5 of file $1, or fails when no tool for it exists.
md5_of() {
    if command -v md5sum >/dev/null 2>&1; then
        md5sum <"$1" | cut -d ' ' -f 1
    elif command -v md5 >/dev/null 2>&1; then
        md5 -q <"$1"
    elif command -v openssl >/dev/null 2>&1; then
        openssl md5 <"$1" | sed 's/^.*= *//'
    else
        return 1
    fi
}
have_md5=1
if ! md5_of /dev/null >/dev/null 2>&1; then
    have_md5=0
    echo "$prog: warning: no md5sum, md5 or openssl: checking sizes only" >&2
fi

# check_md5 FILE EXPECTED: dies on a mismatch.
check_md5() {
    [ "$have_md5" -eq 1 ] || return 0
    got=$(md5_of "$1") || die "$1: cannot compute its MD5"
    [ "$got" = "$2" ] || die "${1##*/}: MD5 is $got, expected $2 (corrupt or changed download); nothing was written to $dest"
}

# check_size FILE BYTES: dies on a mismatch.
check_size() {
    got=$(wc -c <"$1" | tr -d ' ')
    [ "$got" = "$2" ] || die "${1##*/}: $got bytes, expected $2 (truncated or not the official file); nothing was written to $dest"
}

# download FILE: fetches FILE from the first base URL that has it into $tmp/FILE.
download() {
    for base in $bases; do
        url=$base/$1
        echo "$prog: downloading $url" >&2
        rm -f "$tmp/$1"
        if [ "$downloader" = curl ]; then
            curl -fL --retry 3 -o "$tmp/$1" "$url" && return 0
        else
            wget -O "$tmp/$1" "$url" && return 0
        fi
    done
    rm -f "$tmp/$1"
    die "could not download $1 (tried: $bases)"
}

# ---- download into a scratch folder inside DEST, then move into place ----

mkdir -p "$dest" || die "cannot create directory $dest"
tmp=$dest/.fetch-data.$$
rm -rf "$tmp"
mkdir "$tmp" || die "cannot create $tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# Sizes (SEMANTICS §9.1, §9.2) and MD5 sums: uncompressed MNIST as published by
# Y. LeCun; compressed Fashion-MNIST and KMNIST as torchvision checks them; CIFAR-10 as
# listed on the Toronto page, plus data_batch_1.bin itself.
idx_size() {
    case $1 in
    train-images-idx3-ubyte) echo 47040016 ;;
    train-labels-idx1-ubyte) echo 60008 ;;
    t10k-images-idx3-ubyte) echo 7840016 ;;
    t10k-labels-idx1-ubyte) echo 10008 ;;
    esac
}
raw_md5() {
    case $name/$1 in
    mnist/train-images-idx3-ubyte) echo 6bbc9ace898e44ae57da46a324031adb ;;
    mnist/train-labels-idx1-ubyte) echo a25bea736e30d166cdddb491f175f624 ;;
    mnist/t10k-images-idx3-ubyte) echo 2646ac647ad5339dbf082846283269ea ;;
    mnist/t10k-labels-idx1-ubyte) echo 27ae3e4e09519cfbb04c329615203637 ;;
    cifar10/data_batch_1.bin) echo 5dd7e06a14cb22eb9f671a540d1b7c25 ;;
    esac
}
gz_md5() {
    case $name/$1 in
    fashion-mnist/train-images-idx3-ubyte.gz) echo 8d4fb7e6c68d591d4c3dfef9ec88bf0d ;;
    fashion-mnist/train-labels-idx1-ubyte.gz) echo 25c81989df183df01b3e8a0aad5dffbe ;;
    fashion-mnist/t10k-images-idx3-ubyte.gz) echo bef4ecab320f06d8554ea6380940ec79 ;;
    fashion-mnist/t10k-labels-idx1-ubyte.gz) echo bb300cfdad3c16e7a12a480ee83cd310 ;;
    kmnist/train-images-idx3-ubyte.gz) echo bdb82020997e1d708af4cf47b453dcf7 ;;
    kmnist/train-labels-idx1-ubyte.gz) echo e144d726b3acfaa3e44228e80efcd344 ;;
    kmnist/t10k-images-idx3-ubyte.gz) echo 5c965bf0a639b31b8f53240b1b52f4d7 ;;
    kmnist/t10k-labels-idx1-ubyte.gz) echo 7320c461ea6c1c855c0b718fb2a4b134 ;;
    cifar10/cifar-10-binary.tar.gz) echo c32a1d4ab5d03f1284b67883e8d87530 ;;
    esac
}

# verify_archive FILE: the published MD5 of a download, when it came from the official site.
verify_archive() {
    sum=$(gz_md5 "$1")
    if [ -n "$sum" ] && [ "$official" -eq 1 ]; then
        check_md5 "$tmp/$1" "$sum"
    fi
}

# verify_raw FILE BYTES
verify_raw() {
    check_size "$tmp/$1" "$2"
    sum=$(raw_md5 "$1")
    if [ -n "$sum" ]; then
        check_md5 "$tmp/$1" "$sum"
    fi
}

if [ "$name" = cifar10 ]; then
    archive=cifar-10-binary.tar.gz
    download "$archive"
    verify_archive "$archive"
    echo "$prog: unpacking $archive" >&2
    gzip -dc "$tmp/$archive" | (cd "$tmp" && tar -xf -) || die "$archive: cannot unpack"
    rm -f "$tmp/$archive"
    for f in $cifar_files batches.meta.txt; do
        [ -f "$tmp/cifar-10-batches-bin/$f" ] || die "$archive: has no cifar-10-batches-bin/$f"
        mv -f "$tmp/cifar-10-batches-bin/$f" "$tmp/$f" || die "cannot move $f"
    done
    for f in $cifar_files; do
        verify_raw "$f" 30730000
    done
else
    for f in $idx_files; do
        download "$f.gz"
        verify_archive "$f.gz"
        gzip -dc "$tmp/$f.gz" >"$tmp/$f" || die "$f.gz: cannot decompress"
        rm -f "$tmp/$f.gz"
        verify_raw "$f" "$(idx_size "$f")"
    done
fi

for f in $outputs; do
    mv -f "$tmp/$f" "$dest/$f" || die "cannot move $f into $dest"
done
echo "$prog: $name is in $dest"

#!/bin/sh
# data_test.sh - the bad data catalogue: each case builds a broken dataset directory in $T
# from the bundled data/mnist or data/cifar10 (cut, truncated, patched headers, swapped or
# compressed files, FIFOs, directories, devices, links, bad labels, missing batches), then
# trains on it. Every case must exit 1 with exactly the expected line on stderr, before
# any run directory is created.
. tests/lib.sh

# A hang is a failure, not a stuck suite.
if command -v timeout >/dev/null 2>&1; then cap="timeout 30"; else cap=""; fi

TI=train-images-idx3-ubyte
TL=train-labels-idx1-ubyte
VI=t10k-images-idx3-ubyte
VL=t10k-labels-idx1-ubyte
n_cases=0

# mnist NAME / cifar NAME: $T/NAME, a copy of the bundled files to break; D names it.
mnist() { D="$T/$1"; mkdir "$D" && cp data/mnist/$TI data/mnist/$TL data/mnist/$VI data/mnist/$VL "$D/"; }
cifar() { D="$T/$1"; mkdir "$D" && cp data/cifar10/data_batch_1.bin data/cifar10/test_batch.bin "$D/"; }
# poke FILE OFFSET BYTES: overwrites the bytes at OFFSET (BYTES as printf writes them).
# shellcheck disable=SC2059
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# cut_to FILE BYTES: keeps the first BYTES bytes of FILE.
cut_to() { head -c "$2" "$1" >"$1.cut" && mv "$1.cut" "$1"; }
# swap A B: exchanges two files.
swap() { mv "$1" "$1.swap" && mv "$2" "$1" && mv "$1.swap" "$2"; }

# expect NAME DATASET MESSAGE: a run of a tiny config on $T/NAME exits 1, stdout empty,
# stderr exactly MESSAGE, and output.dir was never created.
expect() {
    name=$1 kind=$2 want=$3
    n_cases=$((n_cases + 1))
    printf '[data]\ndataset = %s\npath = %s\ntrain_limit = 100\ntest_limit = 100\n[model]\nhidden = 8\n[train]\nepochs = 1\n[output]\ndir = %s\n' \
        "$kind" "$T/$name" "$T/runs_$name" >"$T/$name.ini"
    # shellcheck disable=SC2086
    t_run $cap "$MLPTRAIN" "$T/$name.ini" -q
    if [ "$rc" -ne 1 ]; then
        t_bad "$name: exit $rc, expected 1 ($(head -c 300 "$T/err"))"
    elif [ -s "$T/out" ]; then
        t_bad "$name: wrote to stdout"
    elif [ "$(cat "$T/err")" != "$want" ] || [ "$(wc -l <"$T/err")" -ne 1 ]; then
        t_bad "$name: stderr differs:
  got:      $(cat "$T/err")
  expected: $want"
    elif [ -e "$T/runs_$name" ]; then
        t_bad "$name: a run directory was created"
    else
        t_ok
    fi
}

# ---- the directory ----
expect no_dir mnist "mlptrain: $T/no_dir: directory not found (run 'scripts/fetch-data.sh mnist $T/no_dir' to download mnist)"
expect no_dir_kmnist kmnist "mlptrain: $T/no_dir_kmnist: directory not found (run 'scripts/fetch-data.sh kmnist $T/no_dir_kmnist' to download kmnist)"
: >"$T/path_is_file"
expect path_is_file mnist "mlptrain: $T/path_is_file: not a directory (data.path names the directory holding the dataset's files)"
mkfifo "$T/path_is_fifo"
expect path_is_fifo mnist "mlptrain: $T/path_is_fifo: not a directory (data.path names the directory holding the dataset's files)"
mkdir "$T/empty_dir"
expect empty_dir mnist "mlptrain: $T/empty_dir/$TI: not found"

# ---- MNIST: files missing, compressed, or not files ----
mnist train_images_missing; rm "$D/$TI"
expect train_images_missing mnist "mlptrain: $D/$TI: not found"
mnist test_images_missing; rm "$D/$VI"
expect test_images_missing mnist "mlptrain: $D/$VI: not found"
mnist gz_only; gzip "$D/$TI" "$D/$TL" "$D/$VI" "$D/$VL"
expect gz_only mnist "mlptrain: $D/$TI: not found, but $TI.gz is there: mlptrain reads uncompressed files; run 'gunzip -k $D/*.gz'"
mnist gzip_content; gzip -c "$D/$TL" >"$D/x"; mv "$D/x" "$D/$TL"
expect gzip_content mnist "mlptrain: $D/$TL: bad magic number 0x1F8B0808 (expected 0x00000801, an IDX label file); this is a gzip file: decompress it with gunzip -k"
mnist images_fifo; rm "$D/$TI"; mkfifo "$D/$TI"
expect images_fifo mnist "mlptrain: $D/$TI: is a named pipe (expected a regular file)"
mnist test_labels_fifo; rm "$D/$VL"; mkfifo "$D/$VL"
expect test_labels_fifo mnist "mlptrain: $D/$VL: is a named pipe (expected a regular file)"
mnist images_dir; rm "$D/$TI"; mkdir "$D/$TI"
expect images_dir mnist "mlptrain: $D/$TI: is a directory (expected a regular file)"
mnist images_device; rm "$D/$TI"; ln -s /dev/null "$D/$TI"
expect images_device mnist "mlptrain: $D/$TI: is a device (expected a regular file)"
# message wanting: a dangling link is "not found", with no word of the link
mnist images_dangling_link; rm "$D/$TI"; ln -s "$T/nowhere" "$D/$TI"
expect images_dangling_link mnist "mlptrain: $D/$TI: not found (a symbolic link to a file that does not exist)"
mnist images_link_loop; rm "$D/$TI"; ln -s "$D/$TI" "$D/$TI"
expect images_link_loop mnist "mlptrain: $D/$TI: cannot open: Too many levels of symbolic links"

# ---- MNIST: sizes ----
mnist images_empty; : >"$D/$TI"
expect images_empty mnist "mlptrain: $D/$TI: file is 0 bytes, too short for an IDX image file (header 16 bytes)"
mnist images_3_bytes; cut_to "$D/$TI" 3
expect images_3_bytes mnist "mlptrain: $D/$TI: file is 3 bytes, too short for an IDX image file (header 16 bytes)"
mnist images_header_cut; cut_to "$D/$TI" 10
expect images_header_cut mnist "mlptrain: $D/$TI: file is 10 bytes, too short for an IDX image file (header 16 bytes)"
mnist labels_header_cut; cut_to "$D/$TL" 6
expect labels_header_cut mnist "mlptrain: $D/$TL: file is 6 bytes, too short for an IDX label file (header 8 bytes)"
mnist images_truncated; cut_to "$D/$TI" 1567916
expect images_truncated mnist "mlptrain: $D/$TI: file is 1567916 bytes, header says 1568016 (2000 images of 28x28)"
mnist images_one_byte_more; printf 'x' >>"$D/$TI"
expect images_one_byte_more mnist "mlptrain: $D/$TI: file is 1568017 bytes, header says 1568016 (2000 images of 28x28)"
mnist test_labels_truncated; cut_to "$D/$VL" 507
expect test_labels_truncated mnist "mlptrain: $D/$VL: file is 507 bytes, header says 508 (500 labels)"
mnist labels_count_huge; poke "$D/$TL" 4 '\377\377\377\377'
expect labels_count_huge mnist "mlptrain: $D/$TL: file is 2008 bytes, header says 4294967303 (4294967295 labels)"
mnist images_count_2g; poke "$D/$TI" 4 '\200\000\000\000'
expect images_count_2g mnist "mlptrain: $D/$TI: file is 1568016 bytes, header says 1683627180048 (2147483648 images of 28x28)"
# message wanting: says nothing of what was expected (at least 1)
mnist zero_records
printf '\000\000\010\003\000\000\000\000\000\000\000\034\000\000\000\034' >"$D/$TI"
printf '\000\000\010\001\000\000\000\000' >"$D/$TL"
expect zero_records mnist "mlptrain: $D/$TI: header says 0 images (expected at least 1)"

# ---- MNIST: headers ----
mnist images_bad_magic; poke "$D/$TI" 0 '\000\000\010\004'
expect images_bad_magic mnist "mlptrain: $D/$TI: bad magic number 0x00000804 (expected 0x00000803, an IDX image file)"
mnist labels_text; printf 'hello, world\n' >"$D/$TL"
expect labels_text mnist "mlptrain: $D/$TL: bad magic number 0x68656C6C (expected 0x00000801, an IDX label file)"
mnist swapped; swap "$D/$TI" "$D/$TL"
expect swapped mnist "mlptrain: $D/$TI: bad magic number 0x00000801 (expected 0x00000803, an IDX image file); 0x00000801 is an IDX label file: are the image and label files swapped?"
mnist test_swapped; swap "$D/$VI" "$D/$VL"
expect test_swapped mnist "mlptrain: $D/$VI: bad magic number 0x00000801 (expected 0x00000803, an IDX image file); 0x00000801 is an IDX label file: are the image and label files swapped?"
mnist labels_as_images; cp "$D/$TI" "$D/$TL"
expect labels_as_images mnist "mlptrain: $D/$TL: bad magic number 0x00000803 (expected 0x00000801, an IDX label file); 0x00000803 is an IDX image file: are the image and label files swapped?"
mnist rows_32; poke "$D/$TI" 8 '\000\000\000\040'
expect rows_32 mnist "mlptrain: $D/$TI: images are 32x28 (expected 28x28)"
mnist cols_0; poke "$D/$VI" 12 '\000\000\000\000'
expect cols_0 mnist "mlptrain: $D/$VI: images are 28x0 (expected 28x28)"
mnist count_mismatch; cp "$D/$VL" "$D/$TL"
expect count_mismatch mnist "mlptrain: $D/$TI: 2000 images, but $D/$TL has 500 labels"
mnist test_count_mismatch; cp "$D/$TL" "$D/$VL"
expect test_count_mismatch mnist "mlptrain: $D/$VI: 500 images, but $D/$VL has 2000 labels"
mnist cifar_as_idx; cp data/cifar10/test_batch.bin "$D/$TI"
expect cifar_as_idx mnist "mlptrain: $D/$TI: bad magic number 0x039E9FA5 (expected 0x00000803, an IDX image file)"

# ---- MNIST: labels (within train_limit / test_limit: records past them are not read) ----
mnist label_10; poke "$D/$TL" 50 '\012'
expect label_10 mnist "mlptrain: $D/$TL: record 42 has label 10 (expected 0..9)"
mnist test_label_255; poke "$D/$VL" 8 '\377'
expect test_label_255 mnist "mlptrain: $D/$VL: record 0 has label 255 (expected 0..9)"

# ---- CIFAR-10 ----
cifar c_no_batch; rm "$D/data_batch_1.bin"
expect c_no_batch cifar10 "mlptrain: $D/data_batch_1.bin: not found"
cifar c_gz_only; gzip "$D/data_batch_1.bin" "$D/test_batch.bin"
expect c_gz_only cifar10 "mlptrain: $D/data_batch_1.bin: not found, but data_batch_1.bin.gz is there: mlptrain reads uncompressed files; run 'gunzip -k $D/*.gz'"
cifar c_batch2_gz; gzip -c "$D/data_batch_1.bin" >"$D/data_batch_2.bin.gz"
expect c_batch2_gz cifar10 "mlptrain: $D/data_batch_2.bin: not found, but data_batch_2.bin.gz is there: mlptrain reads uncompressed files; run 'gunzip -k $D/*.gz'"
cifar c_gap; cp "$D/data_batch_1.bin" "$D/data_batch_3.bin"
expect c_gap cifar10 "mlptrain: $D/data_batch_2.bin: not found, but $D/data_batch_3.bin is there (batches must be consecutive from 1)"
cifar c_gap_at_4; cp "$D/data_batch_1.bin" "$D/data_batch_2.bin"; cp "$D/data_batch_1.bin" "$D/data_batch_3.bin"
cp "$D/data_batch_1.bin" "$D/data_batch_5.bin"
expect c_gap_at_4 cifar10 "mlptrain: $D/data_batch_4.bin: not found, but $D/data_batch_5.bin is there (batches must be consecutive from 1)"
cifar c_test_missing; rm "$D/test_batch.bin"
expect c_test_missing cifar10 "mlptrain: $D/test_batch.bin: not found"
cifar c_batch_cut; cut_to "$D/data_batch_1.bin" 1536499
expect c_batch_cut cifar10 "mlptrain: $D/data_batch_1.bin: file is 1536499 bytes, not a positive multiple of 3073 (one CIFAR-10 record: a label byte and 3072 pixel bytes)"
cifar c_batch_empty; : >"$D/data_batch_1.bin"
expect c_batch_empty cifar10 "mlptrain: $D/data_batch_1.bin: file is 0 bytes, not a positive multiple of 3073 (one CIFAR-10 record: a label byte and 3072 pixel bytes)"
cifar c_batch2_wrong_size; cp "$D/data_batch_1.bin" "$D/data_batch_2.bin"; printf 'x' >>"$D/data_batch_2.bin"
expect c_batch2_wrong_size cifar10 "mlptrain: $D/data_batch_2.bin: file is 1536501 bytes, not a positive multiple of 3073 (one CIFAR-10 record: a label byte and 3072 pixel bytes)"
cifar c_test_wrong_size; printf 'abc' >>"$D/test_batch.bin"
expect c_test_wrong_size cifar10 "mlptrain: $D/test_batch.bin: file is 614603 bytes, not a positive multiple of 3073 (one CIFAR-10 record: a label byte and 3072 pixel bytes)"
cifar c_idx_as_batch; cp data/mnist/$TI "$D/data_batch_1.bin"
expect c_idx_as_batch cifar10 "mlptrain: $D/data_batch_1.bin: file is 1568016 bytes, not a positive multiple of 3073 (one CIFAR-10 record: a label byte and 3072 pixel bytes)"
cifar c_label_10; poke "$D/data_batch_1.bin" 15365 '\012'
expect c_label_10 cifar10 "mlptrain: $D/data_batch_1.bin: record 5 has label 10 (expected 0..9)"
cifar c_test_label_255; poke "$D/test_batch.bin" 0 '\377'
expect c_test_label_255 cifar10 "mlptrain: $D/test_batch.bin: record 0 has label 255 (expected 0..9)"
cifar c_batch_dir; rm "$D/data_batch_1.bin"; mkdir "$D/data_batch_1.bin"
expect c_batch_dir cifar10 "mlptrain: $D/data_batch_1.bin: is a directory (expected a regular file)"
cifar c_test_dir; rm "$D/test_batch.bin"; mkdir "$D/test_batch.bin"
expect c_test_dir cifar10 "mlptrain: $D/test_batch.bin: is a directory (expected a regular file)"
cifar c_test_fifo; rm "$D/test_batch.bin"; mkfifo "$D/test_batch.bin"
expect c_test_fifo cifar10 "mlptrain: $D/test_batch.bin: is a named pipe (expected a regular file)"

# ---- the dataset key and the files disagree ----
# messages wanting: neither says that the directory holds the other dataset's files
mnist mnist_files_as_cifar
expect mnist_files_as_cifar cifar10 "mlptrain: $D/data_batch_1.bin: not found, but train-images-idx3-ubyte is there: the directory holds MNIST-family IDX files (expected data.dataset = mnist, fashion-mnist or kmnist)"
cifar cifar_files_as_mnist
expect cifar_files_as_mnist mnist "mlptrain: $D/$TI: not found, but data_batch_1.bin is there: the directory holds CIFAR-10 batches (expected data.dataset = cifar10)"

# ---- a file the user may not read (root reads anything: run as nobody through setpriv) ----
t_unprivileged
if [ -n "$as_user" ]; then
    chmod 755 "$T"
    mnist unreadable; chmod 755 "$D"; chmod 644 "$D"/*; chmod 000 "$D/$TL"
    printf '[data]\npath = %s\ntrain_limit = 100\n[model]\nhidden = 8\n[train]\nepochs = 1\n[output]\ndir = %s\n' \
        "$D" "$T/runs_unreadable" >"$T/unreadable.ini"
    chmod 644 "$T/unreadable.ini"
    # shellcheck disable=SC2086
    t_run $cap $as_user "$MLPTRAIN" "$T/unreadable.ini" -q
    n_cases=$((n_cases + 1))
    t_check "unreadable: exit 1" [ "$rc" -eq 1 ]
    t_check "unreadable: the reason" [ "$(cat "$T/err")" = "mlptrain: $D/$TL: cannot open: Permission denied" ]
    t_check "unreadable: no run directory" [ ! -e "$T/runs_unreadable" ]
else
    t_skip "unreadable: a file the user may not read" "$t_why" 3
fi

# A FIFO among the batches is examined, never opened (opening it would wait for a writer).
cifar c_batch_fifo; mkfifo "$D/data_batch_2.bin"
expect c_batch_fifo cifar10 "mlptrain: $D/data_batch_2.bin: is a named pipe (expected a regular file)"

t_check "at least 30 bad data directories ($n_cases)" [ "$n_cases" -ge 30 ]

t_done

#!/usr/bin/env python3
# bench-pytorch.py - the `make bench` configurations in PyTorch, for a side-by-side figure on
# the same machine: same shapes, synthetic uint8 data normalized per batch, shuffled,
# fixed iterations scaled to s/epoch, best of two timed runs after a warm-up; for each
# thread setting "T/B" (torch threads / OpenBLAS threads), then the best setting.
# Usage: /usr/bin/python3 scripts/bench-pytorch.py [--settings 1/1,1/2,2/2] [ID ...]
# (Debian: apt-get install python3-torch libopenblas0-pthread; without OpenBLAS, torch
# falls back to the reference BLAS and runs 10-30x slower. OpenBLAS picks its AVX-512
# kernel only when OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset; OMP_WAIT_POLICY is
# set to PASSIVE here unless given, so torch's OpenMP threads do not spin against
# OpenBLAS's.)
import os, sys
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import ctypes, ctypes.util, math, time, torch, torch.nn as nn

cfgs = [
 ("A1", 784, 32, 2, nn.Sigmoid, False, "sgd", 0.1, 64, 60000, 938),
 ("A2", 784, 256, 2, nn.ReLU, False, "adam", 1e-3, 64, 60000, 400),
 ("A3", 784, 256, 2, nn.ReLU, False, "adam", 1e-3, 512, 60000, 60),
 ("A4", 784, 1024, 2, nn.ReLU, False, "adam", 1e-3, 512, 60000, 20),
 ("A5", 784, 2048, 2, nn.ReLU, True, "adam", 1e-3, 512, 60000, 8),
 ("D1", 3072, 256, 2, nn.ReLU, False, "adam", 1e-3, 512, 50000, 40),
 ("D2", 3072, 2048, 2, nn.ReLU, True, "adam", 1e-3, 512, 50000, 6),
]

args = sys.argv[1:]
settings = [(1, 1), (1, 2), (2, 2)]
if len(args) >= 2 and args[0] == "--settings":
    settings = [tuple(int(x) for x in s.split("/")) for s in args[1].split(",")]
    args = args[2:]
wanted = set(args)

# OpenBLAS's thread count, set at run time in the library torch uses (libblas.so.3).
blas = None
for name in ("libblas.so.3", ctypes.util.find_library("openblas") or ""):
    try:
        lib = ctypes.CDLL(name)
        lib.openblas_set_num_threads
        blas = lib
        break
    except (OSError, AttributeError):
        pass
if blas is not None:
    blas.openblas_get_corename.restype = ctypes.c_char_p
    print(f"OpenBLAS kernel: {blas.openblas_get_corename().decode()}", flush=True)
else:
    print("OpenBLAS not found: torch uses another BLAS; the B in T/B has no effect", flush=True)


def run_config(cid, nin, h, L, act, bn, opt, lr, B, nfull, iters):
    torch.manual_seed(0)
    layers = []; i = nin
    for _ in range(L):
        layers.append(nn.Linear(i, h))
        if bn: layers.append(nn.BatchNorm1d(h))
        layers.append(act()); i = h
    layers.append(nn.Linear(i, 10))
    model = nn.Sequential(*layers)
    o = torch.optim.SGD(model.parameters(), lr=lr) if opt == "sgd" else torch.optim.Adam(model.parameters(), lr=lr)
    n = min(nfull, iters * B)
    X = torch.randint(0, 256, (n, nin), dtype=torch.uint8)
    Y = torch.randint(0, 10, (n,))
    lossf = nn.CrossEntropyLoss()
    def run(k):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        for b in range(k):
            idx = perm[(b * B) % n:(b * B) % n + B]
            x = (X[idx].float() / 255 - 0.13) / 0.31
            o.zero_grad(); loss = lossf(model(x), Y[idx]); loss.backward(); o.step()
        return time.perf_counter() - t0
    run(2)
    t = min(run(iters), run(iters))
    return t / iters * math.ceil(nfull / B)


for cfg in cfgs:
    if wanted and cfg[0] not in wanted:
        continue
    best = None
    cells = []
    for t, b in settings:
        torch.set_num_threads(t)
        if blas is not None:
            blas.openblas_set_num_threads(b)
        s = run_config(*cfg)
        cells.append(f"{t}/{b} {s:.3f}")
        if best is None or s < best[0]:
            best = (s, f"{t}/{b}")
    print(f"{cfg[0]} s/epoch: " + ", ".join(cells) + f"; best {best[0]:.3f} ({best[1]})", flush=True)

#!/usr/bin/env python3
# bench-pytorch.py - the `make bench` configurations in PyTorch, for a side-by-side figure on
# the same machine: same shapes, synthetic uint8 data normalized per batch, shuffled,
# fixed iterations scaled to s/epoch, best of two timed runs after a warm-up.
# Usage: OPENBLAS_NUM_THREADS=T python3 scripts/bench-pytorch.py T
# (Debian: apt-get install python3-torch libopenblas0-pthread; without OpenBLAS, torch
# falls back to the reference BLAS and runs 10-30x slower.)
import sys, time, math, torch, torch.nn as nn
cfgs = [
 ("A1", 784, 32, 2, nn.Sigmoid, False, "sgd", 0.1, 64, 60000, 938),
 ("A2", 784, 256, 2, nn.ReLU, False, "adam", 1e-3, 64, 60000, 400),
 ("A3", 784, 256, 2, nn.ReLU, False, "adam", 1e-3, 512, 60000, 60),
 ("A4", 784, 1024, 2, nn.ReLU, False, "adam", 1e-3, 512, 60000, 20),
 ("A5", 784, 2048, 2, nn.ReLU, True, "adam", 1e-3, 512, 60000, 8),
 ("D1", 3072, 256, 2, nn.ReLU, False, "adam", 1e-3, 512, 50000, 40),
 ("D2", 3072, 2048, 2, nn.ReLU, True, "adam", 1e-3, 512, 50000, 6),
]
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
for cid, nin, h, L, act, bn, opt, lr, B, nfull, iters in cfgs:
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
    print(f"{cid} threads {threads}: {t / iters * math.ceil(nfull / B):.3f} s/epoch", flush=True)

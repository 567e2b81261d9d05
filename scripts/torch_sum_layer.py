#!/usr/bin/python3
"""The sum-rule layer workload of `npm run bench` (bench/workloads.ts, `sum-layer-fwdbwd`) in PyTorch's
masked form, for timing PyTorch-CPU beside fastweights. Runs with Debian's python3-torch:

  /usr/bin/python3 scripts/torch_sum_layer.py check             # the masked form against a plain loop, as JSON
  /usr/bin/python3 scripts/torch_sum_layer.py bench 20 5 2       # rounds, calls per round, threads: ms per call
  /usr/bin/python3 scripts/torch_sum_layer.py serve 2 GRADS      # for `npm run bench -- --torch` (bench/torchPair.ts)

The function, as fastweights computes it (bench/ours.ts): per head, phi(x) = f / (sum_j f_j + 1e-6) with
f = elu(x) + 1 (src/nn/attention/featureMaps.ts), y = tril(phi(Q) phi(K)^T) V (the sum rule without the
attention normaliser, fastWeightSum's default), loss = sum(y * R), gradients for q, k and v.
B = 1, H = 8, T = 256, d = 64; q, k, v and R are bench/workloads.ts's randomData with seeds 11, 12, 13, 15,
so both sides compute on the same numbers and their gradients can be compared.

serve: builds the inputs, checks the masked form against the plain loop, writes its gradients (dq, dk, dv
as float32, in that order) to GRADS and prints one JSON line; then for each line "N" it reads on stdin it
runs N forward + backward calls and prints one JSON line with each call's wall and CPU milliseconds (CPU
time of this process, every thread); an empty line or the end of stdin ends it.
"""
import json
import struct
import sys
import time

import torch
import torch.nn.functional as F

B, H, T, D = 1, 8, 256, 64
EPS = 1e-6  # the feature map's sum normalisation (sumNormalise's default)


def random_data(n, seed, low=-1.0, high=1.0):
    """bench/workloads.ts's randomData: xorshift32, the same float32 values."""
    out = [0.0] * n
    s = (seed & 0xFFFFFFFF) or 1
    for i in range(n):
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        out[i] = low + (high - low) * (s / 4294967296.0)
    return torch.tensor(out, dtype=torch.float64).to(torch.float32)


def inputs():
    shape = (B, H, T, D)
    q, k, v, r = (random_data(B * H * T * D, seed).reshape(shape) for seed in (11, 12, 13, 15))
    return q, k, v, r


def phi(x):
    f = F.elu(x) + 1
    return f / (f.sum(-1, keepdim=True) + EPS)


def masked_loss(q, k, v, r):
    """PyTorch's masked (quadratic) form: y = tril(phi(Q) phi(K)^T) V."""
    scores = torch.tril(phi(q) @ phi(k).transpose(-1, -2))
    return ((scores @ v) * r).sum()


def loop_loss(q, k, v, r):
    """The plain recurrent loop: W_t = W_{t-1} + v_t k_t^T, y_t = W_t q_t."""
    fq, fk = phi(q), phi(k)
    W = torch.zeros(B, H, D, D, dtype=q.dtype)
    ys = []
    for t in range(T):
        W = W + v[:, :, t, :, None] * fk[:, :, t, None, :]
        ys.append((W @ fq[:, :, t, :, None])[..., 0])
    return (torch.stack(ys, 2) * r).sum()


def gradients(loss_fn, q, k, v, r):
    leaves = [x.detach().clone().requires_grad_(True) for x in (q, k, v)]
    loss = loss_fn(*leaves, r)
    loss.backward()
    return loss.item(), [x.grad for x in leaves]


def check():
    """The masked form in float32 against the plain loop in float64, on the workload's inputs."""
    q, k, v, r = inputs()
    loss, grads = gradients(masked_loss, q, k, v, r)
    wide = [x.double() for x in (q, k, v, r)]
    loss64, grads64 = gradients(loop_loss, *wide)
    worst = max(((g.double() - w).abs().max() / w.abs().max()).item() for g, w in zip(grads, grads64))
    return {"loss": loss, "loopLoss": loss64, "worstGradientError": worst}, grads


def timed_calls(n, step):
    wall, cpu = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return {"wallMs": wall, "cpuMs": cpu}


def stepper():
    q, k, v, r = inputs()
    leaves = [x.requires_grad_(True) for x in (q, k, v)]

    def step():
        for x in leaves:
            x.grad = None
        masked_loss(*leaves, r).backward()

    return step


def blas_library():
    """The BLAS library this process loaded (after a product): Debian's python3-torch uses whichever
    libblas.so.3 is installed, the unoptimised reference one unless e.g. libopenblas0 is."""
    (torch.ones(8, 8) @ torch.ones(8, 8)).sum()
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
    return paths[0] if paths else "none found"


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def main(argv):
    if len(argv) >= 1 and argv[0] == "check":
        print(json.dumps(check()[0]))
    elif len(argv) == 4 and argv[0] == "bench":
        rounds, calls, threads = int(argv[1]), int(argv[2]), int(argv[3])
        torch.set_num_threads(threads)
        step = stepper()
        timed_calls(3, step)  # warm-up
        wall, cpu = [], []
        for _ in range(rounds):
            t = timed_calls(calls, step)
            wall += t["wallMs"]
            cpu += t["cpuMs"]
        print(json.dumps({"torch": torch.__version__, "threads": threads, "blas": blas_library(), "calls": len(wall),
                          "medianMs": median(wall), "bestMs": min(wall), "cpuMs": median(cpu)}))
    elif len(argv) == 3 and argv[0] == "serve":
        torch.set_num_threads(int(argv[1]))
        result, grads = check()
        with open(argv[2], "wb") as f:
            for g in grads:
                values = g.flatten().tolist()
                f.write(struct.pack(f"<{len(values)}f", *values))
        step = stepper()
        timed_calls(3, step)  # warm-up
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(), **result}), flush=True)
        while True:
            line = sys.stdin.readline()
            if not line.strip():
                break
            print(json.dumps(timed_calls(int(line), step)), flush=True)
    else:
        sys.exit("usage: torch_sum_layer.py check | bench ROUNDS CALLS THREADS | serve THREADS GRADS_FILE")


if __name__ == "__main__":
    main(sys.argv[1:])

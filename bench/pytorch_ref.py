#!/usr/bin/env python3
"""PyTorch CPU baseline for shiren's config R (docs/design.md §6), printed as one JSON object.

Config R: Embedding(V=6000, E=128) -> 2-layer lstm | gru | rnn, H=256 -> Linear(H, V), batch
B=32, T=48 random tokens; one training step = forward, backward, clip_grad_norm_(1), Adam. The
figure is training tokens/s (B*T per step), best over thread settings: OPENBLAS_NUM_THREADS must
be set before torch loads, so each setting runs in a child process. Also: generation latency of
one 7-character quatrain (33 incremental steps with S=1: <bos> + 4 lines of 7 characters and a
punctuation mark), and the peak RSS of each child.
PyTorch's GRU is its own variant (reset gate after the matmul); it costs the same FLOPs as the
seed GRU shiren trains.

Usage: python3 bench/pytorch_ref.py [--seconds S] [--threads 1,2] [--cells lstm,gru,rnn]
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

CONFIG = dict(layers=2, embed=128, hidden=256, vocab=6000, batch=32, steps=48)
QUATRAIN_TOKENS = 33


def child(cell, seconds):
    """Runs in a child process with its thread settings applied; prints one JSON line."""
    import torch
    from torch import nn

    torch.set_num_threads(int(os.environ["TORCH_THREADS"]))
    torch.manual_seed(0)
    c = CONFIG
    rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(c["vocab"], c["embed"])
            self.rnn = rnn_class(c["embed"], c["hidden"], num_layers=c["layers"], batch_first=True)
            self.fc = nn.Linear(c["hidden"], c["vocab"])

        def forward(self, x, state=None):
            out, state = self.rnn(self.embedding(x), state)
            return self.fc(out), state

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss(ignore_index=0)
    B, T, V = c["batch"], c["steps"], c["vocab"]
    inputs = torch.randint(4, V, (B, T))
    targets = torch.randint(4, V, (B, T))

    def train_step():
        opt.zero_grad(set_to_none=True)
        logits, _ = model(inputs)
        loss = loss_fn(logits.reshape(-1, V), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(2):  # warm-up: allocator, thread pools
        train_step()
    steps, start = 0, time.perf_counter()
    while True:
        train_step()
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and steps >= 3:
            break
    tokens_per_s = steps * B * T / elapsed

    gen_ms = []
    with torch.no_grad():
        for _ in range(30):
            t0 = time.perf_counter()
            token, state = torch.tensor([[2]]), None
            for _ in range(QUATRAIN_TOKENS):
                logits, state = model(token, state)
                token = logits[:, -1].argmax(-1, keepdim=True)
            gen_ms.append((time.perf_counter() - t0) * 1000)

    print(json.dumps({
        "tokens_per_s": tokens_per_s,
        "steps": steps,
        "gen_ms_per_qijue": statistics.median(gen_ms),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds to measure each setting")
    ap.add_argument("--threads", default=None, help="thread counts to try, e.g. 1,2 (default: 1..cores, at most 2 values)")
    ap.add_argument("--cells", default="lstm,gru,rnn")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.seconds)
        return

    cores = os.cpu_count() or 1
    counts = [int(x) for x in args.threads.split(",")] if args.threads else sorted({1, cores})
    settings = [(blas, torch_threads) for blas in counts for torch_threads in counts]
    runs = []
    for cell in args.cells.split(","):
        for blas, torch_threads in settings:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas), OMP_NUM_THREADS=str(torch_threads), TORCH_THREADS=str(torch_threads))
            proc = subprocess.run([sys.executable, __file__, "--child", cell, "--seconds", str(args.seconds)],
                                  env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr)
                sys.exit(f"pytorch_ref: the {cell} run failed (is python3-torch installed?)")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            runs.append(dict(cell=cell, OPENBLAS_NUM_THREADS=blas, torch_threads=torch_threads, **result))

    best = {}
    for run in runs:
        if run["cell"] not in best or run["tokens_per_s"] > best[run["cell"]]["tokens_per_s"]:
            best[run["cell"]] = run
    one_thread = [r for r in runs if r["OPENBLAS_NUM_THREADS"] == 1 and r["torch_threads"] == 1 and r["cell"] == "lstm"]
    print(json.dumps({
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": cores, "python": platform.python_version(),
                    "torch": runs[0]["torch"] if runs else None},
        "config": dict(CONFIG, cells=list(best)),
        "train_tokens_per_s": {cell: round(r["tokens_per_s"], 1) for cell, r in best.items()},
        "best_setting": {cell: {"OPENBLAS_NUM_THREADS": r["OPENBLAS_NUM_THREADS"], "torch_threads": r["torch_threads"]} for cell, r in best.items()},
        "peak_rss_mb": {cell: round(r["peak_rss_mb"], 1) for cell, r in best.items()},
        "gen_ms_per_qijue": round(one_thread[0]["gen_ms_per_qijue"], 3) if one_thread else None,
        "runs": runs,
    }, indent=1))


if __name__ == "__main__":
    main()

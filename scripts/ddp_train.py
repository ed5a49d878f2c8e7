#!/usr/bin/python3
"""ddp_train.py — a small real PyTorch DistributedDataParallel training run (gloo, CPU), one rank.

scripts/record-ddp runs one copy in each network namespace of the lh-emu topology and captures the
gradient all-reduces on the wire. The model is an MLP (--layers x --hidden, fp32) trained on a fixed
synthetic regression task with a fixed seed, so the gradient bytes per step are the same every run:
params x 4 bytes, all-reduced by DDP in buckets (--bucket-mb; the first bucket is ~1 MB) through
gloo's ring over TCP. Runs on Debian's /usr/bin/python3 with python3-torch. Set GLOO_SOCKET_IFNAME to
the namespace's interface. Rank 0 prints one JSON line: params, steps, per-step wall times (s);
--step-marks writes when each step started, so lh-trace from-pcap can cut the capture into steps.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rank", type=int, required=True)
    ap.add_argument("--world-size", type=int, default=2)
    ap.add_argument("--master", required=True, help="address:port of rank 0's rendezvous store")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--bucket-mb", type=float, default=25.0, help="DDP bucket_cap_mb")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds for rendezvous and each collective")
    ap.add_argument("--step-marks", help="write each step's start (ns since the epoch, CLOCK_REALTIME) here")
    a = ap.parse_args()
    if not os.environ.get("GLOO_SOCKET_IFNAME"):
        print("ddp_train: set GLOO_SOCKET_IFNAME to the interface gloo must use", file=sys.stderr)
        return 2

    torch.set_num_threads(1)  # the machine is shared; compute time is not what we measure
    torch.manual_seed(a.seed)
    from datetime import timedelta
    dist.init_process_group("gloo", init_method=f"tcp://{a.master}", rank=a.rank, world_size=a.world_size,
                            timeout=timedelta(seconds=a.timeout))
    layers = []
    for _ in range(a.layers - 1):
        layers += [nn.Linear(a.hidden, a.hidden), nn.ReLU()]
    layers.append(nn.Linear(a.hidden, a.hidden))
    model = DistributedDataParallel(nn.Sequential(*layers), bucket_cap_mb=a.bucket_mb)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(a.seed + a.rank)  # each rank its own data shard
    x = torch.randn(a.batch, a.hidden, generator=gen)
    y = torch.randn(a.batch, a.hidden, generator=gen)
    # DDP's constructor broadcast rank 0's parameters; wait until it has arrived, so the wire carries
    # only gradient traffic after the first step mark.
    dist.barrier()
    times, marks = [], []
    for _ in range(a.steps):
        marks.append(time.time_ns())  # the capture's clock: tcpdump stamps packets with CLOCK_REALTIME
        t0 = time.time()
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()  # DDP all-reduces the gradient buckets here
        opt.step()
        times.append(round(time.time() - t0, 4))
    dist.barrier()
    dist.destroy_process_group()
    if a.step_marks:
        with open(a.step_marks, "w") as f:
            f.write(f"# ddp_train.py rank {a.rank}: start of each training step, ns since the epoch\n")
            f.writelines(f"{m}\n" for m in marks)
    if a.rank == 0:
        print(json.dumps({"params": params, "steps": a.steps, "layers": a.layers, "hidden": a.hidden,
                          "batch": a.batch, "dtype": "fp32", "world_size": a.world_size,
                          "torch": torch.__version__, "step_seconds": times, "loss": float(loss)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

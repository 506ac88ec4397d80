"""libtorch's native CTC (what burn-tch dispatches to) timed from Python, as the baseline for
`model/tests/it/ctc.rs::ctc_timing_at_realistic_sizes` (same sizes: T=1500, N=8,
C=9812, S=200; log_softmax + ctc_loss(sum, zero_infinity) forward and backward).

    OMP_NUM_THREADS=2 /work/venvs/torch29/bin/python bench/model/ctc_torch.py
"""

import time

import torch

T, N, C, S = 1500, 8, 9812, 200
torch.manual_seed(1)
logits = torch.randn(N, T, C, requires_grad=True)
targets = torch.tensor([[4 + ((i * 31 + j * 7) % 9000) for j in range(S)] for i in range(N)])
start = time.perf_counter()
lp = torch.log_softmax(logits, dim=-1).transpose(0, 1)
loss = torch.nn.functional.ctc_loss(
    lp, targets, torch.full((N,), T), torch.full((N,), S), reduction="sum", zero_infinity=True
)
fwd = time.perf_counter() - start
loss.backward()
total = time.perf_counter() - start
print(f"torch {torch.__version__} native CTC T={T} N={N} C={C} S={S}: forward {fwd:.3f} s, "
      f"forward+backward {total:.3f} s (loss {loss.item():.1f}, threads {torch.get_num_threads()})")

"""The rival: aedemo's fine-tuning written the way a PyTorch notebook would write it.

The same net (`nn.Linear` layers with ReLU, a linear code and the chosen output), the
same loss (MSE over all pixels), the same batches (builder.model.training.batches drawn from
the same numpy generator), the same optimizer and schedule (`torch.optim.AdamW`, which
is Adam when the weight decay is 0, with the betas, eps, decay and cosine learning rate
of `TrainConfig`; `fused=True` by default, torch's fastest Adam on CPU) and the same
choice of the epoch with the lowest validation MSE.

One detail makes torch's Adam take exactly aedemo's step: builder.model.training.Adam adds
eps to sqrt(v) before the bias correction of v (Kingma & Ba's "epsilon hat") while
torch adds it after. Setting torch's eps to `eps / sqrt(1 - beta2^t)` before step t
gives the same update, so the two optimizers agree to float32 round-off.

Only the initial weights, data split, evaluation (test MSE, kNN-5) and schedule come
from builder.model.training; the training loop itself is torch's.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from builder.data import Dataset
from builder.model.autoencoder import Autoencoder
from builder.model.evaluation import knn_accuracy, mse
from builder.model.training import Progress, TrainConfig, batches, cosine_lr, random_init, split_validation
from builder.records.files import BuildError

F32 = np.float32

# How torch.optim runs the update: "fused" (one C++ kernel for all tensors, the fastest
# on CPU), "foreach" (multi-tensor ops) or "default" (what `AdamW(params)` picks on CPU:
# a Python loop over the tensors). All three compute the same step.
ADAM_IMPLS = {"fused": {"fused": True}, "foreach": {"foreach": True}, "default": {}}
DEFAULT_ADAM = "fused"


def build_net(model: Autoencoder) -> nn.Sequential:
    """An `nn.Sequential` with `model`'s weights: Linear, then ReLU / nothing / output."""
    layers: list[nn.Module] = []
    last = len(model.W) - 1
    for i, (W, b) in enumerate(zip(model.W, model.b)):
        linear = nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i == model.n_enc - 1:
            continue  # the linear code layer
        if i == last and model.output == "sigmoid":
            layers.append(nn.Sigmoid())
        else:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def linears(net: nn.Sequential) -> list[nn.Linear]:
    return [m for m in net if isinstance(m, nn.Linear)]


def to_autoencoder(net: nn.Sequential, output: str) -> Autoencoder:
    """The numpy model with `net`'s weights, for builder's own evaluation functions."""
    W = [np.ascontiguousarray(m.weight.detach().numpy().T, dtype=F32) for m in linears(net)]
    b = [m.bias.detach().numpy().astype(F32, copy=True) for m in linears(net)]
    return Autoencoder(W, b, output)


def loss_and_grads(net: nn.Sequential, x: np.ndarray) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """Loss and gradients in builder's layout (`W` as (n_in, n_out)), for the parity tests."""
    net.zero_grad(set_to_none=True)
    xt = torch.from_numpy(x)
    loss = F.mse_loss(net(xt), xt)
    loss.backward()
    dW = [m.weight.grad.numpy().T.copy() for m in linears(net)]
    db = [m.bias.grad.numpy().copy() for m in linears(net)]
    return loss.item(), dW, db


class AdamLikeAedemo:
    """`torch.optim.AdamW` (weights decayed, biases not) stepping exactly like builder's Adam."""

    def __init__(self, net: nn.Sequential, cfg: TrainConfig, impl: str = DEFAULT_ADAM) -> None:
        self.cfg, self.t, self.impl = cfg, 0, impl
        groups = [
            {"params": [m.weight for m in linears(net)], "weight_decay": cfg.weight_decay},
            {"params": [m.bias for m in linears(net)], "weight_decay": 0.0},
        ]
        self.opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2),
                                     eps=cfg.eps, **ADAM_IMPLS[impl])

    def zero_grad(self) -> None:
        self.opt.zero_grad(set_to_none=True)

    def step(self, lr: float) -> None:
        self.t += 1
        eps = self.cfg.eps / math.sqrt(1.0 - self.cfg.beta2 ** self.t)
        for group in self.opt.param_groups:
            group["lr"] = lr
            group["eps"] = eps
        self.opt.step()


@torch.no_grad()
def torch_mse(net: nn.Sequential, x: torch.Tensor, chunk: int = 4096) -> float:
    """Mean squared reconstruction error over all pixels, summed in float64 like builder's."""
    total = 0.0
    for s in range(0, len(x), chunk):
        xc = x[s : s + chunk]
        total += float(((net(xc) - xc) ** 2).sum(dtype=torch.float64))
    return total / x.numel()


def finetune(net: nn.Sequential, x: np.ndarray, x_val: np.ndarray, x_test: np.ndarray,
             cfg: TrainConfig, rng: np.random.Generator, progress: Progress,
             adam: str = DEFAULT_ADAM) -> tuple[nn.Sequential, dict[str, object]]:
    """builder.model.training.finetune in PyTorch: same batches, steps, curves and epoch choice."""
    net = copy.deepcopy(net)
    opt = AdamLikeAedemo(net, cfg, adam)
    xt, xv, xe = (torch.from_numpy(np.ascontiguousarray(a)) for a in (x, x_val, x_test))
    curves: dict[str, list[float]] = {"train_mse": [], "val_mse": [], "test_mse": []}
    best, best_epoch = copy.deepcopy(net.state_dict()), 0
    with progress.bar("fine-tune (PyTorch)", cfg.epochs) as bar:
        for epoch in range(cfg.epochs):
            lr, total = cosine_lr(cfg, epoch), 0.0
            for idx in batches(len(x), cfg.batch_size, rng):
                xb = xt[torch.from_numpy(idx)]
                loss = F.mse_loss(net(xb), xb)
                opt.zero_grad()
                loss.backward()
                value = loss.item()
                if not math.isfinite(value) or value > cfg.max_loss:
                    raise BuildError(f"fine-tuning diverged: epoch {epoch + 1}, training MSE "
                                     f"{value:.4g}; lower --lr (now {cfg.lr})")
                opt.step(lr)
                total += value * len(idx)
            curves["train_mse"].append(total / len(x))
            curves["val_mse"].append(torch_mse(net, xv))
            curves["test_mse"].append(torch_mse(net, xe))
            if curves["val_mse"][-1] <= min(curves["val_mse"]):
                best, best_epoch = copy.deepcopy(net.state_dict()), epoch
            bar.update(f"train {curves['train_mse'][-1]:.4f} val {curves['val_mse'][-1]:.4f}")
    net.load_state_dict(best)
    return net, {**curves, "best_epoch": best_epoch + 1}


def train_eval(ds: Dataset, cfg: TrainConfig, progress: Progress | None = None,
               adam: str = DEFAULT_ADAM) -> dict[str, object]:
    """The PyTorch net from random init, trained and evaluated as builder.stages.train.train
    trains and evaluates aedemo without pretraining: the same generator draws the same
    validation split, the same He-initialised weights and the same batches."""
    progress = progress or Progress()
    rng = np.random.default_rng(cfg.seed)
    tr, va = split_validation(len(ds.x_train), cfg.val_fraction, rng)
    x, x_val = ds.x_train[tr], ds.x_train[va]
    if hasattr(cfg, "resolved"):  # automatic epochs are fixed by the training-set size
        cfg = cfg.resolved(len(tr))
    net = build_net(random_init(cfg, rng))
    net, ft = finetune(net, x, x_val, ds.x_test, cfg, rng, progress, adam)
    model = to_autoencoder(net, cfg.output)
    return {
        "test_mse": mse(model, ds.x_test),
        "knn5": knn_accuracy(model.encode(ds.x_train), ds.y_train, model.encode(ds.x_test), ds.y_test),
        "best_epoch": ft["best_epoch"],
        "finetune": ft,
        "config": dataclasses.asdict(cfg),
    }


def runtime() -> dict[str, object]:
    """torch's version, threads and compute libraries, for the report."""
    blas = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "blas": blas.group(1) if blas else None,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }

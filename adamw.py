"""AdamW as one in-place update of a flat parameter vector: torch.optim.AdamW's arithmetic, which
trainer.py applies to many runs stacked as rows. Needs only torch; no side effects at import.

    from adamw import adamw_step
    theta = torch.cat([p.detach().flatten() for p in params]); m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    for t in range(1, steps + 1):
        adamw_step(theta, grad_of(theta), m, v, t, lr=1e-3, betas=(0.9, 0.98), eps=1e-8, weight_decay=1.0)

Tested against torch.optim.AdamW (test_grok.py).
"""
import math
from typing import Tuple, Union

import torch

Tensor = torch.Tensor


@torch.no_grad()
def adamw_step(theta: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, step: Union[int, Tensor],
               lr: float, betas: Tuple[float, float], eps: float, weight_decay: Union[float, Tensor]) -> None:
    """One AdamW step t = `step` (1, 2, ...; an int, or a tensor as torch keeps it in its state) of torch.optim.AdamW(lr, betas, eps, weight_decay), in
    place on theta and its moments exp_avg, exp_avg_sq (Loshchilov & Hutter, decoupled weight decay):
        theta <- (1 - lr weight_decay) theta - lr m_hat / (sqrt(v_hat) + eps)
    `weight_decay` is a number, or a tensor that broadcasts against theta (one per run stacked as a
    row, or one per weight), whose factor 1 - lr weight_decay is computed in that tensor's dtype."""
    decay = 1 - lr * weight_decay
    adamw_update(theta, grad, exp_avg, exp_avg_sq, step, lr, betas, eps,
                 decay.to(theta.dtype) if torch.is_tensor(decay) else decay)


@torch.no_grad()
def adamw_update(theta: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, step: Union[int, Tensor],
                 lr: float, betas: Tuple[float, float], eps: float, decay: Union[float, Tensor]) -> None:
    """adamw_step with the decay factor given, decay = 1 - lr weight_decay (a number or a tensor of
    theta's dtype), for a caller that keeps one factor per run:
        theta <- decay theta - lr m_hat / (sqrt(v_hat) + eps)
        m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,   m_hat = m / (1 - b1^t),   v_hat = v / (1 - b2^t)
    Elementwise, so R runs stacked as the rows of theta are R independent AdamW runs. A weight with
    value zero and gradient zero stays exactly zero: that is how masked weights stay pruned."""
    if torch.is_tensor(step):  # as torch.optim.AdamW keeps it: its bias corrections use step.item()
        step = step.item()
    if step < 1:
        raise ValueError(f"AdamW's step t counts from 1 (its bias correction divides by 1 - beta^t), got {step}")
    b1, b2 = betas
    theta.mul_(decay)
    exp_avg.lerp_(grad, 1 - b1)
    exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
    denom = (exp_avg_sq.sqrt() / math.sqrt(1 - b2 ** step)).add_(eps)
    theta.addcdiv_(exp_avg, denom, value=-lr / (1 - b1 ** step))

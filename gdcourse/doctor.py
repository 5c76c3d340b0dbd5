"""A loss-curve doctor: read a recorded loss history and name what went wrong.

`diagnose(losses, val_losses=None)` looks at the numbers a training loop recorded
(one loss per step or per epoch) and returns a `Diagnosis`: a one-word label, the
evidence in one sentence, and what to try next. It is a pure function of the history:
it never sees the model, so it names the *symptom*; the advice lists the usual causes.

The rules are a handful of thresholds, written out in `diagnose`'s docstring, so a
learner can check every verdict by hand. They are heuristics: a curve can sit on a
threshold, and the doctor cannot tell a bug from a genuinely hard problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import validate

__all__ = [
    "LABELS",
    "SEGMENTS",
    "DIVERGE_FACTOR",
    "BLOWUP",
    "STRUCTURE",
    "STALL",
    "MIN_NOISE_POINTS",
    "ADVICE",
    "Diagnosis",
    "segment_medians",
    "wiggle",
    "diagnose",
]

LABELS = (
    "nan",
    "diverging",
    "overfitting",
    "flat",
    "oscillating",
    "plateau",
    "noisy",
    "slow",
    "healthy",
)
"""Every label `diagnose` can return, in the order its rules are tried."""

SEGMENTS = 10  # the history is summarised by the medians of this many equal pieces
DIVERGE_FACTOR = 2.0  # ending this many times above the first loss is divergence
BLOWUP = 10.0  # rising this many times above the lowest level is divergence (or an explosion)
STRUCTURE = 0.5  # |autocorrelation| (lag 1 or 2) of the wiggles above which they are a pattern
STALL = 0.02  # the last fifth of the run made less than this share of the total progress
MIN_NOISE_POINTS = 8  # fewer points than this in the second half: no noise analysis

ADVICE = {
    "nan exploded": (
        "lower the learning rate about 10×; if single batches blow it up, clip the gradient "
        "norm (torch.nn.utils.clip_grad_norm_) and look for extreme values in the data"
    ),
    "nan numeric": (
        "look for log(0), 0/0 or sqrt of a negative number in the loss: clamp probabilities "
        "away from 0 and 1, or use a stable fused loss (BCEWithLogitsLoss, cross_entropy on "
        "logits); check the inputs for NaN"
    ),
    "diverging": "lower the learning rate about 10×",
    "overfitting": (
        "stop at the validation minimum (early stopping), or add data, regularise "
        "(weight decay) or use a smaller model"
    ),
    "flat": (
        "the parameters are not changing: check that optimizer.step() is called, that the "
        "parameters require grad and were given to this optimiser, and that η is not tiny"
    ),
    "oscillating": (
        "lower the learning rate 2–5× (or the momentum β); clipping the gradient norm tames "
        "occasional spikes"
    ),
    "plateau": (
        "check for bugs first: prediction and target shapes, frozen parameters, a model too "
        "small for the data; if this level is the best the model can do it has converged, "
        "otherwise lower η on the plateau (a schedule)"
    ),
    "noisy": (
        "normal for mini-batches: read the trend from a running mean; if the noise hides "
        "progress, raise the batch size or lower η"
    ),
    "slow": "raise the learning rate 3–10×, or train for longer",
    "healthy": "nothing to fix",
}


@dataclass(frozen=True)
class Diagnosis:
    """What `diagnose` concluded: a label from `LABELS`, the evidence, and advice.

    `reason` is one sentence with the numbers the deciding rule looked at; `evidence`
    holds every statistic that was computed (rounded to 4 significant digits), so the
    verdict can be checked by hand.

    Introduced in lesson 06, as what diagnose() returns.
    """

    label: str
    reason: str
    advice: str
    evidence: dict = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"{self.label}: {self.reason} → {self.advice}"

    def __repr__(self) -> str:
        return f"Diagnosis(label={self.label!r}, reason={self.reason!r}, advice={self.advice!r})"

    def _repr_markdown_(self) -> str:
        return f"**{self.label}**: {self.reason}  \n→ *{self.advice}*"


# ------------------------------------------------------------------------ input checks


def _history(name: str, value) -> np.ndarray:
    """`value` as a 1-D float64 array of at least 2 numbers (NaN and ±inf allowed)."""
    if value is None or isinstance(value, (str, bytes, dict)):
        raise ValueError(f"{name} must be a sequence of numbers, got {_short(value)}")
    try:
        if hasattr(value, "detach"):  # a torch tensor; torch itself is never imported here
            value = value.detach().cpu().numpy()
        elif isinstance(value, (list, tuple)) and any(hasattr(v, "detach") for v in value):
            # losses.append(loss) instead of loss.item(): 0-d tensors, often with a graph
            value = [float(v.detach()) if hasattr(v, "detach") else v for v in value]
        arr = np.asarray(value)
        if arr.dtype == object:
            raise TypeError
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{name} must contain only numbers, got {_short(value)}") from exc
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must contain only numbers, got {_short(value)}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of losses, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.size < 2:
        raise ValueError(f"{name} needs at least 2 values to show a trend, got {arr.size}")
    return arr.astype(np.float64)


def _short(value, limit: int = 80) -> str:
    """repr(value), cut to `limit` characters so an error message stays readable."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...]"


# --------------------------------------------------------------------------- statistics


def _g(x: float) -> float:
    """Round to 4 significant digits, so printed evidence is stable across machines."""
    return float(f"{x:.4g}") if math.isfinite(x) else x


def segment_medians(values: np.ndarray, segments: int = SEGMENTS) -> np.ndarray:
    """Medians of `segments` equal consecutive pieces (fewer if there are fewer values)."""
    pieces = np.array_split(np.asarray(values, dtype=float), min(segments, len(values)))
    return np.array([np.median(p) for p in pieces])


def wiggle(values: np.ndarray) -> tuple[float, float]:
    """(scatter, autocorrelation) of a curve's wiggles around a smooth trend.

    The trend is a quadratic in the step, fitted to log(loss) when every value is
    positive (to the loss divided by its median size otherwise). The wiggles are the
    residuals: `scatter` is their robust standard deviation (1.4826 × the median absolute
    deviation; on log scale 0.1 means about ±10 %), and `autocorrelation` is the
    correlation of each residual with the next one or the one after, whichever is
    larger in size (sign kept). Random mini-batch noise gives about 0 at every lag; a
    regular pattern does not: a 2-cycle gives −1 at lag 1 and +1 at lag 2, a slow wave
    or a burst is positive at both. (Looking at lag 2 as well catches a 2-cycle riding
    on a wave, whose lag-1 contributions cancel.)
    """
    v = np.asarray(values, dtype=float)
    if len(v) < MIN_NOISE_POINTS:
        return 0.0, 0.0
    t = np.linspace(-1.0, 1.0, len(v))
    z = np.log(v) if v.min() > 0 else v / max(float(np.median(np.abs(v))), 1e-300)
    r = z - np.polyval(np.polyfit(t, z, 2), t)
    scatter = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    rho = max((_autocorrelation(r, lag) for lag in (1, 2)), key=abs)
    return scatter, rho


def _autocorrelation(r: np.ndarray, lag: int) -> float:
    """Correlation between r[t] and r[t + lag] (0 when either part is constant)."""
    a, b = r[:-lag] - r[:-lag].mean(), r[lag:] - r[lag:].mean()
    denom = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / denom if denom > 0 else 0.0


# ------------------------------------------------------------------------------ doctor


def diagnose(
    losses,
    val_losses=None,
    *,
    flat_tol: float = 0.01,
    min_drop: float = 10.0,
    noise_tol: float = 0.1,
    overfit_tol: float = 0.1,
) -> Diagnosis:
    """Name what a recorded loss history shows, and what to try.

    Parameters
    ----------
    losses : sequence of float (list, NumPy array or 1-D tensor), at least 2 values
        The training loss, one value per step (or per epoch), in order. NaN and ±inf
        are allowed: they are a symptom.
    val_losses : sequence of float, optional
        Validation losses, in order (any cadence, e.g. one per epoch).
    flat_tol, min_drop, noise_tol, overfit_tol : float
        Thresholds of the rules below.

    Returns
    -------
    Diagnosis with `label`, `reason`, `advice` and `evidence`.

    Raises
    ------
    ValueError naming the argument, for an empty or one-value history, non-numbers
    (strings, None, booleans), or more than one dimension.

    Rules
    -----
    The losses are assumed to be >= 0 (MSE, cross-entropy). Write L0 for the first
    loss, and summarise the history by the medians c1 … c10 of 10 equal consecutive
    segments (fewer for short histories), so a single noisy value cannot decide. The
    first rule that matches gives the label:

    1. **nan**: some loss is NaN or ±inf. If the finite losses before it had risen at
       least 10× above their lowest value, the run *exploded* (too large η, or an
       exploding gradient); otherwise it broke *suddenly*, which points at a numerical
       bug such as log(0).
    2. **diverging**: the last segment ends above 2·L0, or above 10× the lowest segment.
    3. **overfitting** (only with `val_losses`): a NaN in them gives **nan**; otherwise
       the median of their last segment is more than (1 + overfit_tol) × their minimum
       (default: 10 % above it) while the training loss did not diverge.
    4. **flat**: no loss is more than flat_tol·|L0| (default 1 %) below L0.
    5. **oscillating**: in the second half of the history, the wiggles around a smooth
       trend (see `wiggle`) have a scatter above noise_tol (default 0.1, about ±10 %)
       *and* form a pattern: |autocorrelation| >= 0.5 at lag 1 or 2 (bursts, waves,
       2-cycles).
    6. **plateau**: the last fifth of the run made less than 2 % of the total
       improvement, (c8 − c10) < 0.02·(L0 − c10), and the loss fell less than min_drop
       (default 10×) overall: L0 / c10 < min_drop.
    7. **noisy**: the wiggles' scatter is above noise_tol but they look random.
    8. **slow**: the loss is still falling but has fallen less than min_drop overall.
    9. **healthy**: none of the above: it fell at least min_drop× and is smooth.

    Introduced in lesson 06.
    """
    L = _history("losses", losses)
    V = None if val_losses is None else _history("val_losses", val_losses)
    flat_tol = validate.positive("flat_tol", flat_tol)
    min_drop = validate.positive("min_drop", min_drop)
    if min_drop <= 1:  # a drop factor: 1 would call any curve that fell at all healthy
        raise ValueError(f"min_drop must be > 1, got {min_drop!r}")
    noise_tol = validate.positive("noise_tol", noise_tol)
    overfit_tol = validate.positive("overfit_tol", overfit_tol)

    # 1. nan -----------------------------------------------------------------------
    bad = ~np.isfinite(L)
    if bad.any():
        step = int(np.argmax(bad))
        kind = "nan" if math.isnan(L[step]) else "inf"
        before = L[:step]
        rise = float(before[-1] / before.min()) if step >= 2 and before.min() > 0 else 1.0
        evidence = {"first_bad_step": step, "value": kind, "rise_before": _g(rise)}
        if rise >= BLOWUP:
            reason = (
                f"the loss became {kind} at step {step} after rising {_g(rise):g}× above its "
                "lowest value (it exploded)"
            )
            return Diagnosis("nan", reason, ADVICE["nan exploded"], evidence)
        where = "at the first step" if step == 0 else f"at step {step}"
        reason = f"the loss became {kind} {where} without rising first (a sudden break)"
        return Diagnosis("nan", reason, ADVICE["nan numeric"], evidence)

    start = float(L[0])
    c = segment_medians(L)
    end, low = float(c[-1]), float(c.min())
    drop = start / end if end > 0 else math.inf
    k = len(c) - 1 - max(1, len(c) // 5)
    progress = start - end
    late_share = float((c[k] - end) / progress) if progress > 0 else 0.0
    scatter, rho = wiggle(L[len(L) // 2 :])
    evidence = {
        "first": _g(start),
        "last": _g(end),
        "lowest": _g(low),
        "drop": _g(drop),
        "late_share": _g(late_share),
        "scatter": _g(scatter),
        "autocorrelation": _g(rho),
    }

    # 2. diverging -------------------------------------------------------------------
    if end > DIVERGE_FACTOR * start or (low > 0 and end > BLOWUP * low):
        reason = (
            f"the loss ends at {_g(end):g}, above its first value {_g(start):g}"
            if end > DIVERGE_FACTOR * start
            else f"the loss rose from {_g(low):g} back up to {_g(end):g}"
        )
        return Diagnosis("diverging", reason, ADVICE["diverging"], evidence)

    # 3. overfitting -----------------------------------------------------------------
    if V is not None:
        vbad = ~np.isfinite(V)
        if vbad.any():
            step = int(np.argmax(vbad))
            evidence["first_bad_val_step"] = step
            reason = f"the validation loss became {V[step]} at evaluation {step}"
            return Diagnosis("nan", reason, ADVICE["nan numeric"], evidence)
        best = int(np.argmin(V))
        vmin, vend = float(V[best]), float(segment_medians(V)[-1])
        evidence.update({"val_best_at": best, "val_min": _g(vmin), "val_last": _g(vend)})
        if vend > (1 + overfit_tol) * vmin:
            reason = (
                f"the validation loss was lowest ({_g(vmin):g}) at evaluation {best} and has "
                f"risen to {_g(vend):g} while the training loss ends at {_g(end):g}"
            )
            return Diagnosis("overfitting", reason, ADVICE["overfitting"], evidence)

    # 4. flat ------------------------------------------------------------------------
    if start - float(L.min()) <= flat_tol * abs(start):
        reason = f"the loss never fell more than {flat_tol:.0%} below its first value {_g(start):g}"
        return Diagnosis("flat", reason, ADVICE["flat"], evidence)

    # 5. oscillating -----------------------------------------------------------------
    if scatter > noise_tol and abs(rho) >= STRUCTURE:
        reason = (
            f"in the second half the loss swings by about ±{scatter:.0%} in a pattern "
            f"(autocorrelation {rho:+.2f}), not at random"
        )
        return Diagnosis("oscillating", reason, ADVICE["oscillating"], evidence)

    # 6. plateau ---------------------------------------------------------------------
    if late_share < STALL and drop < min_drop:
        reason = (
            f"the loss fell only {_g(drop):g}× (to {_g(end):g}) and the last fifth of the run "
            "made almost no progress"
        )
        return Diagnosis("plateau", reason, ADVICE["plateau"], evidence)

    # 7. noisy -----------------------------------------------------------------------
    if scatter > noise_tol:
        reason = (
            f"the loss fell {_g(drop):g}×, with random step-to-step scatter of about "
            f"±{scatter:.0%} around its trend"
        )
        return Diagnosis("noisy", reason, ADVICE["noisy"], evidence)

    # 8. slow ------------------------------------------------------------------------
    if drop < min_drop:
        reason = f"the loss is still falling but only {_g(drop):g}× so far"
        return Diagnosis("slow", reason, ADVICE["slow"], evidence)

    # 9. healthy ---------------------------------------------------------------------
    still = "is still falling" if late_share >= STALL else "has levelled off"
    reason = f"the loss fell {_g(drop):g}× smoothly (to {_g(end):g}) and {still}"
    return Diagnosis("healthy", reason, ADVICE["healthy"], evidence)

"""How long each explorer takes to answer a slider move: value change -> new figure bytes.

Drives every explorer's update path the way a drag does (one control stepped through
its range, each change redrawn and encoded), in this process, with torch at one thread
as in the lessons. Prints `<explorer>_update_ms=` (median over the sweep) for the main
control of each explorer, `<explorer>_<control>_ms=` for the others, and
`worst_update_ms=` over the main controls. Goal: every explorer <= 30 ms per update.
Usage: .venv/bin/python benchmarks/widgets.py
"""

import statistics
import time

import numpy as np
import torch

from gdcourse import explore, widgets

# The control a learner drags most in each explorer comes first.
SWEEPS = {
    "learning_rate": ["lr", "start"],
    "optimizers": ["lr", "beta", "noise"],
    "momentum_map": ["lr", "beta", "mu"],
    "schedules": ["lr", "period"],
    "batch_size": ["batch_size", "lr"],
}
STEPS = 25


def values(control, n=STEPS):
    """n values across the control's range, as a drag would produce them."""
    if hasattr(control, "options"):
        options = list(control.options)
        return [options[i % len(options)] for i in range(n)]
    lo, hi = control.min, control.max
    if isinstance(control, widgets.W.FloatLogSlider):
        return list(10 ** np.linspace(lo, hi, n))
    grid = np.linspace(lo, hi, n)
    return [int(round(v)) for v in grid] if isinstance(control.value, int) else list(grid)


def sweep(explorer, name):
    control = explorer.controls[name]
    explore._cached_path.cache_clear()  # every value is new, as in a first drag
    times = []
    for value in values(control):
        start = time.perf_counter()
        control.value = value  # no event loop here, so the redraw happens right away
        _ = explorer.image.value
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main():
    torch.set_num_threads(1)
    worst = 0.0
    for name, controls in SWEEPS.items():
        explorer = widgets.EXPLORERS[name]()
        sweep(explorer, controls[0])  # warm caches and code paths once
        for i, control in enumerate(controls):
            ms = sweep(explorer, control)
            label = f"{name}_update_ms" if i == 0 else f"{name}_{control}_ms"
            print(f"{label}={ms:.1f}", flush=True)
            if i == 0:
                worst = max(worst, ms)
    print(f"worst_update_ms={worst:.1f}")


# --- lesson 11: loss landscapes
SWEEPS["restarts"] = ["restarts", "spread", "lr"]


if __name__ == "__main__":
    main()

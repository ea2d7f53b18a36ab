"""The caseload's judgements estimated from the stratified samples (issue 21, contract §6).

Each audited file stands for 1/π cases of its month's caseload, π its
``inclusion_probability`` (the stratum's drawn ÷ eligible, written by ``draw-sample`` and
``record``). A judgement's share of the caseload is the Hájek ratio estimator

    R = Σ w·1[judgement] / Σ w,   w = 1/π,

summed over the twelve months' audits: the share of the case-months of the period, that
is the average month's caseload. Its variance is the Taylor-linearised variance of a ratio
under stratified sampling, strata being (month, stratum), with the with-replacement
approximation (no finite-population correction, so a little wide):

    u = w·(1[judgement] − R) / Σ w,   V = Σ_h n_h/(n_h − 1) · Σ_i∈h (u_i − ū_h)²

(Wolter, *Introduction to Variance Estimation*, ch. 6; R ``survey``'s ``svymean``). A
stratum with one audit has no spread of its own; it is centred on the overall mean of u,
which is 0 (R ``survey``'s ``lonely.psu = "adjust"``). The 95% interval is Wilson's score
interval on the effective sample size n* = R(1 − R)/V (Kish; Korn & Graubard 1998 use
the same n* for their exact interval): unlike R ± 1.96·√V it stays inside [0, 1] and
does not collapse to a point for a judgement seen 0 times. Where V is 0 (every stratum
unanimous, or R is 0 or 1) n* is the number of audits, as for a simple random sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

#: Two-sided 95%: the normal quantile 0.975 (1.959964…).
Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class ShareEstimate:
    share: float
    low: float
    high: float
    variance: float
    effective_n: float


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion ``p`` seen on ``n`` (possibly effective)
    observations."""
    if n <= 0:
        return (0.0, 1.0)
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def ratio_share(indicator: pd.Series, weight: pd.Series, stratum: pd.Series) -> ShareEstimate:
    """The Hájek estimate of the share of the population with ``indicator`` (0/1), its
    linearised stratified variance and its 95% Wilson interval on the effective n (see the
    module's docstring)."""
    y = indicator.astype(float).to_numpy()
    w = weight.astype(float).to_numpy()
    total = float(w.sum())
    share = float((w * y).sum() / total)
    u = pd.Series(w * (y - share) / total)
    groups = u.groupby(stratum.to_numpy())
    sizes = groups.transform("size").to_numpy()
    means = groups.transform("mean").to_numpy()
    centred = u.to_numpy() - (sizes > 1) * means  # a lone audit is centred on 0
    factor = np.where(sizes > 1, sizes / np.maximum(sizes - 1, 1), 1.0)
    variance = float((factor * centred * centred).sum())
    n = len(y)
    effective = share * (1 - share) / variance if variance > 0 else float(n)
    low, high = wilson(share, effective)
    return ShareEstimate(share, low, high, variance, effective)

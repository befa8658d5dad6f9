"""xpulse.NufftPlan against a direct non-uniform DFT in numpy, and its errors."""
import numpy as np
import pytest

import xpulse


def direct(points, modes, sign, c=None, f=None):
    ks = np.meshgrid(*[np.arange(n) - n // 2 for n in modes], indexing="ij")
    phase = sum(k[..., None] * x for k, x in zip(ks, points))  # modes..., points
    e = np.exp(1j * sign * phase)
    if c is not None:
        return e @ c
    return np.tensordot(f, e, axes=len(modes))


@pytest.mark.parametrize("modes", [(21,), (12, 9), (8, 7, 6)])
@pytest.mark.parametrize("dtype,eps,bound", [("float64", 1e-9, 1e-8), ("float32", 1e-5, 1e-4)])
def test_types_one_and_two_match_the_direct_sum(modes, dtype, eps, bound):
    rng = np.random.default_rng(4)
    n = 200
    points = [rng.uniform(-np.pi, np.pi, n) for _ in modes]
    c = rng.normal(size=n) + 1j * rng.normal(size=n)
    f = rng.normal(size=modes) + 1j * rng.normal(size=modes)
    plan1 = xpulse.NufftPlan(1, modes, eps=eps, sign=-1, threads=2, dtype=dtype)
    plan1.set_points(*points)
    got = plan1.execute(c)
    assert got.shape == modes
    want = direct(points, modes, -1, c=c)
    assert np.linalg.norm(got - want) / np.linalg.norm(want) < bound
    plan2 = xpulse.NufftPlan(2, modes, eps=eps, dtype=dtype)
    plan2.set_points(*points)
    got2 = plan2.execute(f)
    want2 = direct(points, modes, +1, f=f)
    assert np.linalg.norm(got2 - want2) / np.linalg.norm(want2) < bound
    assert plan2.points == n and plan2.kernel_width >= 2
    assert set(plan2.timings) == {"sort", "spread", "fft", "deconvolve"}


def test_bad_input_raises_with_the_library_messages():
    with pytest.raises(ValueError, match="NUFFT modes N2 must be >= 1"):
        xpulse.NufftPlan(1, (4, 0))
    with pytest.raises(ValueError, match=r"outside \[1e-07, 0.1\] for float"):
        xpulse.NufftPlan(1, 8, eps=1e-9, dtype="float32")
    plan = xpulse.NufftPlan(2, (4, 4))
    with pytest.raises(ValueError, match="NUFFT execute before set_points"):
        plan.execute(np.zeros((4, 4), complex))
    with pytest.raises(ValueError, match="y is missing for a 2D plan"):
        plan.set_points(np.zeros(3))
    with pytest.raises(ValueError, match="outside"):
        plan.set_points(np.array([0.0, 10.0]), np.zeros(2))
    plan.set_points(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"f must have the plan's mode shape \(4, 4\)"):
        plan.execute(np.zeros((4, 5), complex))

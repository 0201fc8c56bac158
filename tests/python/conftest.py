"""pytest set-up for the cmlx.core tests.

Tests compare cmlx with NumPy everywhere, and with real MLX (the spec) where
``import mlx.core`` works: the ``mlx`` fixture gives the real module or skips
the test. Set CMLX_NO_MLX=1 to skip those comparisons even when MLX is
installed.
"""
import os

import pytest

try:
    if os.environ.get("CMLX_NO_MLX") == "1":
        raise ImportError
    import mlx.core as _real_mlx
except Exception:  # not installed, or fails to load on this machine
    _real_mlx = None


def pytest_report_header(config):
    if _real_mlx is None:
        return "real MLX: not available, comparisons with it are skipped"
    return f"real MLX: {_real_mlx.__version__} (comparisons enabled)"


@pytest.fixture
def mlx():
    """The real mlx.core module; skips the test when it is not importable."""
    if _real_mlx is None:
        pytest.skip("real mlx.core is not importable")
    return _real_mlx

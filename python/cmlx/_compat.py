"""Names of mlx.core that are plain compositions of cmlx.core's own, added to
cmlx.core when the package is imported."""


def _make_asarray(core):
    def asarray(a, dtype=None, *, copy=None):
        """asarray(a, dtype=None, *, copy=None) -> array

        Convert the input to an array. ``copy=True`` and ``copy=None`` both
        copy host data (cmlx never adopts a foreign buffer); ``copy=False``
        raises ValueError, as MLX does where it cannot share memory.
        """
        if copy is False:
            raise ValueError(
                "[asarray] Unable to avoid copy while creating an array as "
                "requested.")
        if dtype is None:
            return core.array(a)
        return core.array(a, dtype=dtype)

    return asarray


def install(core):
    if not hasattr(core, "asarray"):
        core.asarray = _make_asarray(core)

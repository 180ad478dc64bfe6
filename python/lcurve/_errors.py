"""The exceptions of lcurve, raised by the native extension."""

from typing import Optional


class LcurveError(Exception):
    """Any error of lcurve. ``file`` and ``key`` say where a bad value came from, when known
    (``key`` is a dotted config key such as ``layers[0].width``, or a run option such as
    ``trials``)."""

    file: Optional[str] = None
    key: Optional[str] = None


class ConfigError(LcurveError, ValueError):
    """Bad input: a config value or a run option (the command line's one-line message)."""


class SolverError(LcurveError, RuntimeError):
    """A computation failed: a saddle-point equation (the message names the point, the
    ridge and the equation, also as ``samples``, ``ridge`` and ``equation``) or a simulated
    trial's linear algebra (those three are then ``None``)."""

    samples: Optional[float] = None
    ridge: Optional[float] = None
    equation: Optional[str] = None


class RenderError(LcurveError, RuntimeError):
    """Drawing a figure failed."""

"""Type stubs of the compiled extension ``lcurve._native`` (use the ``lcurve`` package)."""

from os import PathLike
from typing import Any, Callable, Dict, List, Optional, Tuple, Union, final

import numpy as np

__all__ = [
    "__version__",
    "NativeConfig",
    "load",
    "loads",
    "from_dict",
    "from_data",
    "curve",
    "scaling",
    "dynamics",
    "point",
    "validate_config",
    "render_figures",
    "render_figure",
]

__version__: str

@final
class NativeConfig:
    @property
    def source(self) -> str: ...
    @property
    def samples(self) -> List[int]: ...
    @property
    def ridge(self) -> Union[float, str]: ...
    @property
    def ensemble(self) -> Union[int, str, None]: ...
    def with_alpha(self, start: float, stop: float, points: int) -> NativeConfig: ...
    def summary_json(self) -> str: ...

_Progress = Optional[Callable[[str, int, int], Any]]
_TableParts = Tuple[List[str], List[np.ndarray], List[Optional[np.ndarray]]]

def load(path: Union[str, PathLike[str]], set: Optional[Dict[str, Any]] = None) -> NativeConfig: ...
def loads(text: str, set: Optional[Dict[str, Any]] = None) -> NativeConfig: ...
def from_dict(d: Dict[str, Any], set: Optional[Dict[str, Any]] = None) -> NativeConfig: ...
def from_data(
    features: np.ndarray, labels: np.ndarray, center: bool, d: Dict[str, Any]
) -> NativeConfig: ...
def curve(config: NativeConfig, progress: _Progress = None, exponents: bool = False) -> Tuple[_TableParts, str]: ...
def scaling(
    config: NativeConfig,
    budget: Optional[Tuple[float, float, int]] = None,
    progress: _Progress = None,
) -> Tuple[_TableParts, _TableParts, _TableParts, str]: ...
def point(
    config: NativeConfig,
    samples: float,
    ridge: Union[float, str, None] = None,
    time: Union[float, str, None] = None,
) -> Dict[str, Optional[float]]: ...
def dynamics(
    config: NativeConfig,
    times: Optional[List[float]],
    span: Optional[Tuple[float, float, int]],
    validate: bool,
    trials: Optional[int] = None,
    seed: Optional[int] = None,
    store: Optional[str] = None,
    progress: _Progress = None,
    steps: Optional[List[float]] = None,
    step_span: Optional[Tuple[float, float, int]] = None,
    widths: Optional[List[float]] = None,
    save_datasets: Optional[str] = None,
) -> Tuple[_TableParts, _TableParts, List[Tuple[str, _TableParts]], str]: ...
def validate_config(
    config: NativeConfig,
    trials: Optional[int] = None,
    seed: Optional[int] = None,
    scale: Optional[float] = None,
    store: Optional[str] = None,
    progress: _Progress = None,
    inputs: Optional[str] = None,
) -> Tuple[_TableParts, str]: ...
def render_figures(
    paths: List[str],
    out: str,
    simulate: bool = True,
    trials: Optional[int] = None,
    scale: Optional[float] = None,
    dpi: float = 96.0,
    store: Optional[str] = None,
    progress: _Progress = None,
) -> List[Tuple[str, str]]: ...
def render_figure(
    path: str,
    simulate: bool = True,
    trials: Optional[int] = None,
    scale: Optional[float] = None,
    format: str = "svg",
    dpi: float = 96.0,
    store: Optional[str] = None,
    progress: _Progress = None,
) -> bytes: ...

"""The run page's debug plots: the engine draws them (:mod:`syncengine.plots`, matplotlib Agg).

:func:`run_plots_write` writes :data:`PLOT_FILES` (those that apply) into a run's folder under
MEDIA_ROOT; the run stores their paths and the run page shows them, titled after the file stems.
"""

from __future__ import annotations

from syncengine.plots import PLOT_FILES, correlation_curves_png, run_plots_write

__all__ = ["PLOT_FILES", "correlation_curves_png", "run_plots_write"]

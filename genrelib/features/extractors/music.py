"""Music tagging on 22-second chunks, keeping the activations before the tagger's output layer.

The paper tags music with the model of Choi et al. (2016) it cites (50 labels) and keeps 64 values per chunk;
we take it to be that paper's FCN on MagnaTagATune (50 tags), whose last convolution has 64 channels and
pools to one vector per chunk. :class:`ChoiFcn` is that network, with the parameter names of the
checkpoint in the sota-music-tagging-models collection (the paper backend; weights fetched once).

Those weights ship in no package. The nearest that do are in PyPI ``musicnn`` 0.1.0 (ISC): ``MTT_vgg``,
a 5-layer VGG-style CNN on 96-band log-mel patches, trained on the same 50 tags. musicnn runs them
with TensorFlow 1-style code that does not work with NumPy 2, so this module reads the TensorFlow
checkpoint directly (a small reader of its table format) into a PyTorch port; the offline backend
keeps its 256-d activations before the output layer. The paper states no hop between chunks; half a
chunk reproduces its training length of 18 chunks (chapter 1).
"""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genrelib.data import media
from genrelib.features.extractors import weights
from genrelib.features.extractors.audio import mel_filterbank
from genrelib.features.extractors.base import ChunkedAudio, Trailer
from genrelib.sources import paper

WINDOW_SECONDS = paper.CHUNK_SECONDS["musicnet"]
HOP_SECONDS = WINDOW_SECONDS / 2  # our choice: the paper states none (see the module docstring)
RATE, FFT_SIZE, FFT_HOP, N_MELS = 16_000, 512, 256, 96
PATCH_FRAMES = 187  # the ~3 s input musicnn's models were trained on
MTT_TAGS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano", "ambient",
    "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals", "no vocals",
    "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man",
    "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello",
    "no voice", "weird", "country", "metal", "female voice", "choral",
)


# --- TensorFlow checkpoint reader --------------------------------------------------------------------------------
# A checkpoint is `<prefix>.index`, a LevelDB-format table mapping each variable name to a BundleEntryProto
# (dtype, shape, offset, size), and `<prefix>.data-00000-of-00001` holding the raw little-endian tensors.

_TABLE_MAGIC = 0xDB4775248B80FB57
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64}


def _varint(buffer: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buffer[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, position


def _block(table: bytes, handle: bytes, position: int = 0) -> bytes:
    offset, position = _varint(handle, position)
    size, _ = _varint(handle, position)
    if table[offset + size] != 0:
        raise ValueError("compressed checkpoint index blocks are not supported")
    return table[offset:offset + size]


def _block_entries(block: bytes):
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end, position, key = len(block) - 4 - 4 * restarts, 0, b""
    while position < end:
        shared, position = _varint(block, position)
        unshared, position = _varint(block, position)
        length, position = _varint(block, position)
        key = key[:shared] + block[position:position + unshared]
        position += unshared
        yield key.decode(), block[position:position + length]
        position += length


def _proto_fields(message: bytes):
    """(field number, value) pairs of a protobuf message; length-delimited values come as bytes."""
    position = 0
    while position < len(message):
        tag, position = _varint(message, position)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, position = _varint(message, position)
        elif wire == 2:
            length, position = _varint(message, position)
            value, position = message[position:position + length], position + length
        elif wire == 5:
            value, position = message[position:position + 4], position + 4
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        yield field, value


def _tensor_entry(entry: bytes) -> tuple[type, tuple[int, ...], int, int]:
    fields = dict.fromkeys((1, 4, 5), 0)
    shape = []
    for field, value in _proto_fields(entry):
        if field == 2:  # TensorShapeProto: repeated Dim {int64 size = 1}
            shape = [dict(_proto_fields(dim)).get(1, 0) for number, dim in _proto_fields(value) if number == 2]
        else:
            fields[field] = value
    if fields[1] not in _DTYPES:
        raise ValueError(f"unsupported checkpoint dtype {fields[1]}")
    return _DTYPES[fields[1]], tuple(shape), fields[4], fields[5]


def read_tf_checkpoint(prefix: str | Path) -> dict[str, np.ndarray]:
    """All variables of a single-shard TensorFlow checkpoint, by name, without TensorFlow."""
    table = Path(f"{prefix}.index").read_bytes()
    data = Path(f"{prefix}.data-00000-of-00001").read_bytes()
    footer = table[-48:]
    if struct.unpack("<Q", footer[-8:])[0] != _TABLE_MAGIC:
        raise ValueError(f"{prefix}.index is not a TensorFlow checkpoint index")
    _, index_handle_start = _varint(footer, _varint(footer, 0)[1])  # skip the metaindex handle
    variables = {}
    for _, handle in _block_entries(_block(table, footer, index_handle_start)):
        for name, entry in _block_entries(_block(table, handle)):
            if not name:  # the bundle header
                continue
            dtype, shape, offset, size = _tensor_entry(entry)
            variables[name] = np.frombuffer(data, dtype, size // np.dtype(dtype).itemsize, offset).reshape(shape)
    return variables


# --- the network ------------------------------------------------------------------------------------------------

class MttVgg(nn.Module):
    """musicnn's ``vgg`` model: input batch norm, five 3x3 conv + ReLU + BN + max-pool blocks, dense to 50 tags."""

    pools = ((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))

    def __init__(self, filters: int = 128, tags: int = len(MTT_TAGS)):
        super().__init__()
        self.input_norm = nn.BatchNorm2d(1, eps=1e-3)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(1 if i == 0 else filters, filters, 3, padding=1), nn.ReLU(),
                          nn.BatchNorm2d(filters, eps=1e-3), nn.MaxPool2d(kernel, stride))
            for i, (kernel, stride) in enumerate(self.pools))
        self.output = nn.Linear(2 * filters, tags)

    def penultimate(self, patches: torch.Tensor) -> torch.Tensor:
        """The 256-d activations before the output layer, of log-mel patches (batch x 187 frames x 96 bands)."""
        x = self.input_norm(patches[:, None])
        for block in self.blocks:
            x = block(x)
        return x.permute(0, 2, 3, 1).flatten(1)  # TensorFlow flattens channels-last

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """Tag logits of log-mel patches (batch x 187 frames x 96 bands)."""
        return self.output(self.penultimate(patches))

    def load_tf_variables(self, variables: dict[str, np.ndarray]) -> MttVgg:
        """Copy musicnn's TensorFlow variables (NHWC kernels, ``batch_normalization_i``) into this module."""
        def tensor(name):
            return torch.from_numpy(np.array(variables[name]))

        norms = [self.input_norm] + [block[2] for block in self.blocks]
        for i, norm in enumerate(norms):
            scope = "batch_normalization" + (f"_{i}" if i else "")
            norm.weight.data, norm.bias.data = tensor(f"{scope}/gamma"), tensor(f"{scope}/beta")
            norm.running_mean.data, norm.running_var.data = (tensor(f"{scope}/moving_mean"),
                                                             tensor(f"{scope}/moving_variance"))
        for i, block in enumerate(self.blocks, start=1):
            block[0].weight.data = tensor(f"{i}CNN/kernel").permute(3, 2, 0, 1).contiguous()
            block[0].bias.data = tensor(f"{i}CNN/bias")
        self.output.weight.data, self.output.bias.data = tensor("dense/kernel").T.contiguous(), tensor("dense/bias")
        return self


def musicnn_log_mel(samples: np.ndarray) -> np.ndarray:
    """musicnn's input (frames x 96): librosa's power mel spectrogram (centred 512-point periodic-Hann STFT,
    hop 256, Slaney mel at 16 kHz), rounded to float16 as musicnn does, then log10(10000 x + 1)."""
    padded = np.pad(samples.astype(np.float32), FFT_SIZE // 2)
    if len(padded) < FFT_SIZE:
        padded = np.pad(padded, (0, FFT_SIZE - len(padded)))
    window = np.hanning(FFT_SIZE + 1)[:-1]
    frames = np.lib.stride_tricks.sliding_window_view(padded, FFT_SIZE)[::FFT_HOP] * window
    power = np.abs(np.fft.rfft(frames, FFT_SIZE)) ** 2
    mel = (power @ mel_filterbank(RATE, FFT_SIZE, N_MELS, 0.0, RATE / 2, slaney=True)).astype(np.float16)
    return np.log10(10000 * mel.astype(np.float32) + 1)


def musicnn_patches(log_mel: np.ndarray) -> np.ndarray:
    """Consecutive 187-frame patches (patches x 187 x 96), as musicnn's tagger cuts them; short input is padded."""
    if len(log_mel) < PATCH_FRAMES:
        log_mel = np.pad(log_mel, ((0, PATCH_FRAMES - len(log_mel)), (0, 0)))
    starts = range(0, len(log_mel) - PATCH_FRAMES + 1, PATCH_FRAMES)
    return np.stack([log_mel[s:s + PATCH_FRAMES] for s in starts])


def musicnn_checkpoint(model: str = "MTT_vgg") -> str:
    """The checkpoint prefix of one of musicnn's models inside the installed package (its files are `.index`...)."""
    package = weights.require_package("musicnn", "the music tagger (musicnn's MagnaTagATune models)")
    return f"{package / model}/"


@cache
def pretrained_mtt_vgg() -> MttVgg:
    return MttVgg().load_tf_variables(read_tf_checkpoint(musicnn_checkpoint("MTT_vgg"))).eval()


class MusicTagger(ChunkedAudio):
    """The offline music tagger: per 22 s chunk, the mean of musicnn MTT_vgg's 256-d activations before its
    output layer over the 3 s patches within the chunk (each patch computed once, however chunks overlap)."""

    modality, dim = "musicnet", 256
    package, model = "musicnn", "MTT_vgg (MagnaTagATune), PyTorch port, 256-d activations before the output"
    rate, window_seconds, hop_seconds = RATE, WINDOW_SECONDS, HOP_SECONDS
    patch_seconds = PATCH_FRAMES * FFT_HOP / RATE

    def __init__(self, network: MttVgg | None = None):
        self.network = pretrained_mtt_vgg() if network is None else network

    @torch.inference_mode()
    def tag_probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Tag probabilities (patches x 50) of a 16 kHz mono waveform."""
        patches = torch.from_numpy(musicnn_patches(musicnn_log_mel(samples)))
        return torch.sigmoid(self.network(patches)).numpy()

    @torch.inference_mode()
    def _pooled(self, trailer: Trailer, probabilities: bool = False) -> np.ndarray:
        samples = trailer.audio(self.rate)
        if not len(samples):
            return np.zeros((0, len(MTT_TAGS) if probabilities else self.dim), np.float32)
        patches = torch.from_numpy(musicnn_patches(musicnn_log_mel(samples)))
        hidden = self.network.penultimate(patches)
        values = torch.sigmoid(self.network.output(hidden)) if probabilities else hidden
        starts = media.chunk_starts(len(samples), round(self.rate * self.window_seconds),
                                    round(self.rate * self.hop_seconds)) / self.rate
        return media.pool_windows(values.numpy(), np.arange(len(patches)) * self.patch_seconds, self.patch_seconds,
                                  starts, self.window_seconds)

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self._pooled(trailer)

    def explain(self, trailer: Trailer, top: int = 3) -> list[tuple[float, str]]:
        """The ``top`` music tags of each 22 s chunk, with their probabilities."""
        tags = self._pooled(trailer, probabilities=True)
        return [(start, ", ".join(f"{MTT_TAGS[t]} {p[t]:.2f}" for t in np.argsort(-p)[:top]))
                for start, p in zip(self.chunk_starts(len(tags)), tags, strict=True)]


class _ConvBlock(nn.Sequential):
    """Choi et al.'s block as the collection writes it: 3x3 convolution, batch norm, ReLU, max-pool."""

    def __init__(self, channels_in: int, channels_out: int, pooling: tuple[int, int]):
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels_out)
        self.relu = nn.ReLU()
        self.mp = nn.MaxPool2d(pooling)


class _MelFrontEnd(nn.Module):
    """torchaudio's MelSpectrogram at 16 kHz (512-point periodic-Hann STFT, hop 256, 96 HTK mel bands up to
    8 kHz, power 2), with the buffer names its checkpoints carry (``spectrogram.window``, ``mel_scale.fb``)."""

    def __init__(self):
        super().__init__()
        self.spectrogram, self.mel_scale = nn.Module(), nn.Module()
        self.spectrogram.register_buffer("window", torch.hann_window(FFT_SIZE))
        self.mel_scale.register_buffer("fb", torch.from_numpy(mel_filterbank(RATE, FFT_SIZE, N_MELS, 0.0, RATE / 2)))

    def forward(self, samples: torch.Tensor) -> torch.Tensor:
        spectrum = torch.stft(samples, FFT_SIZE, FFT_HOP, window=self.spectrogram.window, center=True,
                              pad_mode="reflect", return_complex=True).abs() ** 2
        return (spectrum.transpose(1, 2) @ self.mel_scale.fb).transpose(1, 2)  # (batch, mels, frames)


class ChoiFcn(nn.Module):
    """The FCN of Choi et al. (2016), as in the sota-music-tagging-models collection: log-mel (dB), batch
    norm, five conv blocks pooling 96 bands x ~22 s to one 64-channel vector, then the 50-tag output layer."""

    pools = ((2, 4), (2, 4), (2, 4), (3, 5), (4, 4))
    widths = (1, 64, 128, 128, 128, 64)

    def __init__(self, tags: int = len(MTT_TAGS)):
        super().__init__()
        self.spec = _MelFrontEnd()
        self.spec_bn = nn.BatchNorm2d(1)
        for i, pooling in enumerate(self.pools):
            setattr(self, f"layer{i + 1}", _ConvBlock(self.widths[i], self.widths[i + 1], pooling))
        self.dense = nn.Linear(self.widths[-1], tags)
        self.eval()

    def penultimate(self, samples: torch.Tensor) -> torch.Tensor:
        """The 64-d activations before the output layer, of 16 kHz chunks (batch x samples)."""
        x = 10 * torch.log10(self.spec(samples).clamp(min=1e-10))  # torchaudio's AmplitudeToDB
        x = self.spec_bn(x[:, None])
        for i in range(len(self.pools)):
            x = getattr(self, f"layer{i + 1}")(x)
        return x.flatten(1)

    def forward(self, samples: torch.Tensor) -> torch.Tensor:
        """Tag probabilities of 16 kHz chunks (batch x samples)."""
        return torch.sigmoid(self.dense(self.penultimate(samples)))


class FcnTagger(ChunkedAudio):
    """The paper's music tagger: Choi et al. (2016)'s FCN on each 22 s chunk, its 64-d activations before the
    output layer."""

    modality, dim = "musicnet", 64
    package, model = "torch", "FCN (Choi et al. 2016, MagnaTagATune), 64-d activations before the output"
    rate, window_seconds, hop_seconds = RATE, WINDOW_SECONDS, HOP_SECONDS

    def __init__(self, batch_size: int = 8):
        self.network = ChoiFcn()
        checkpoint = weights.paper_model(weights.MUSIC_FCN)
        self.network.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
        self.batch_size = batch_size

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self.embed_chunks(trailer, self.network.penultimate, self.batch_size)

    def explain(self, trailer: Trailer, top: int = 3) -> list[tuple[float, str]]:
        """The ``top`` music tags of each 22 s chunk, with their probabilities."""
        tags = self.embed_chunks(trailer, self.network, self.batch_size)
        return [(start, ", ".join(f"{MTT_TAGS[t]} {p[t]:.2f}" for t in np.argsort(-p)[:top]))
                for start, p in zip(self.chunk_starts(len(tags)), tags, strict=True)]

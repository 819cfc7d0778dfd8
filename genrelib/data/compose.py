"""Composing trailer-like video files: scenes of still pictures plus a soundtrack.

Used by the demo corpus and by the tests, which need real encoded files with
known scene cuts and known sound. Speech comes from eSpeak NG, whose library
and voice data ship in the PyPI package ``espeakng-loader``: no system package.
"""

from __future__ import annotations

import ctypes
import os
import threading
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np

_ESPEAK_SYNCHRONOUS, _ESPEAK_RATE, _ESPEAK_UTF8 = 2, 1, 1  # constants of speak_lib.h
_speaking = threading.Lock()  # the library keeps one global state


@cache
def _espeak():
    """libespeak-ng from espeakng-loader, initialised once; returns (library, its sample rate)."""
    import espeakng_loader

    library = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
    rate = library.espeak_Initialize(_ESPEAK_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
    if rate <= 0 or library.espeak_SetVoiceByName(b"en-us") != 0:
        raise RuntimeError(f"eSpeak NG from {espeakng_loader.get_library_path()} did not start; "
                           "reinstall the espeakng-loader package")
    return library, rate


def speech(text: str, rate: int = 16_000, words_per_minute: int = 140) -> np.ndarray:
    """``text`` spoken in US English by eSpeak NG, as mono float32 samples at ``rate`` Hz."""
    from scipy.signal import resample_poly

    library, native_rate = _espeak()
    pieces = []
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def collect(samples, count, _events):
        if count > 0:
            pieces.append(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 0

    encoded = text.encode()
    with _speaking:
        callback = callback_type(collect)  # kept referenced until synthesis ends
        library.espeak_SetSynthCallback(callback)
        library.espeak_SetParameter(_ESPEAK_RATE, words_per_minute, 0)
        library.espeak_Synth(encoded, len(encoded) + 1, 0, 0, 0, _ESPEAK_UTF8, None, None)
        library.espeak_Synchronize()
    samples = np.concatenate(pieces).astype(np.float32) / 32768 if pieces else np.zeros(0, np.float32)
    divisor = np.gcd(rate, native_rate)
    return resample_poly(samples, rate // divisor, native_rate // divisor).astype(np.float32)


def write_video(path: str | os.PathLike, scenes: list[tuple[np.ndarray, float]], soundtrack: np.ndarray | None = None,
                rate: int = 16_000, fps: int = 12, size: tuple[int, int] = (320, 240)) -> Path:
    """Encode ``scenes`` (RGB image, seconds) as MPEG-4 video, with an AAC mono soundtrack if given.

    Each scene's picture drifts slowly (a small pan) so that frames within a scene
    differ a little, as in real footage, while cuts between scenes stay sharp.
    """
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    tmp = path.with_name(f".{path.name}.part")
    with av.open(str(tmp), mode="w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.bit_rate = 800_000
        sound = None
        if soundtrack is not None:
            sound = container.add_stream("aac", rate=rate, layout="mono")
        for image, seconds in scenes:
            base = _fit(image, width + 16, height)
            frames = max(1, round(seconds * fps))
            for i in range(frames):
                shift = int(16 * i / max(frames - 1, 1))
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(base[:, shift:shift + width]), format="rgb24")
                container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            _encode_audio(container, sound, soundtrack, rate)
    os.replace(tmp, path)
    return path


def _encode_audio(container, stream, samples: np.ndarray, rate: int) -> None:
    import av

    samples = np.clip(samples, -1, 1).astype(np.float32)
    block = 1024
    for start in range(0, len(samples), block):
        piece = samples[start:start + block]
        frame = av.AudioFrame.from_ndarray(piece[None, :], format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize (nearest neighbour) an RGB image to exactly width x height."""
    image = np.asarray(image, dtype=np.uint8)
    rows = np.linspace(0, image.shape[0] - 1, height).round().astype(int)
    cols = np.linspace(0, image.shape[1] - 1, width).round().astype(int)
    # indexing the columns leaves a column-major array, whose every per-frame slice would be a slow copy
    return np.ascontiguousarray(image[rows][:, cols])

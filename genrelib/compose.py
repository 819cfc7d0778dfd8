"""Composing trailer-like video files: scenes of still pictures plus a soundtrack.

Used by the demo corpus and by the tests, which need real encoded files with
known scene cuts and known sound.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np


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
    return image[rows][:, cols]

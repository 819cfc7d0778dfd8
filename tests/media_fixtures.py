"""Small real media files with known content, written with genrelib.data.compose."""

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from genrelib.data import compose

RATE = 16_000


def solid(color, noise_seed=0):
    rng = np.random.default_rng(noise_seed)
    return np.clip(np.full((240, 336, 3), color) + rng.integers(0, 12, (240, 336, 3)), 0, 255).astype(np.uint8)


def text_card(text):
    image = Image.new("RGB", (640, 360), (5, 5, 5))
    ImageDraw.Draw(image).text((30, 150), text, fill=(240, 240, 240), font=ImageFont.load_default(size=44))
    return np.asarray(image)


def tone(seconds, hz=440.0, amplitude=0.3):
    return (amplitude * np.sin(2 * np.pi * hz * np.arange(int(RATE * seconds)) / RATE)).astype(np.float32)


def three_scene_video(path, with_audio=True):
    """Red 2 s, green 3 s, blue 1.5 s: cuts at 2 s and 5 s; a 440 Hz tone throughout."""
    scenes = [(solid((200, 30, 30)), 2.0), (solid((30, 200, 30)), 3.0), (solid((30, 30, 200)), 1.5)]
    return compose.write_video(path, scenes, tone(6.5) if with_audio else None, rate=RATE)


def raw_video_stream(path, frames=75, fps=25):
    """A raw H.264 elementary stream: no container, so no duration field and no timestamps."""
    import av

    with av.open(str(path), "w", format="h264") as container:
        stream = container.add_stream("h264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), 3 * i, np.uint8),
                                                                   format="rgb24")))
        container.mux(stream.encode(None))
    return path


def excerpt(source, out, start, end):
    """``source`` from its first video keyframe at or after ``start`` seconds to its first at or after ``end``,
    the packets copied as they are (no re-encoding: the frames are the original's). The video stops, in
    decoding order, at that second keyframe, so no frame kept refers to one left out."""
    import av

    with av.open(str(source)) as given:
        video = given.streams.video[0]
        keyframes = [p.pts for p in given.demux(video) if p.is_keyframe and p.pts is not None]
    first = next(pts for pts in keyframes if pts * video.time_base >= start)
    last = next(pts for pts in keyframes if pts * video.time_base >= end)
    begin, stop = float(first * video.time_base), float(last * video.time_base)
    with av.open(str(source)) as given, av.open(str(out), "w") as taken:
        streams = {s.index: taken.add_stream_from_template(s) for s in given.streams if s.type in ("video", "audio")}
        ended = False
        for packet in given.demux(*(given.streams[i] for i in streams)):
            if packet.pts is None:
                continue
            seconds, is_video = float(packet.pts * packet.time_base), packet.stream.type == "video"
            ended = ended or (is_video and packet.pts == last)
            if seconds < begin or (ended if is_video else seconds >= stop):
                continue
            shift = round(begin / packet.time_base)
            packet.pts -= shift
            packet.dts = None if packet.dts is None else packet.dts - shift
            packet.stream = streams[packet.stream.index]
            taken.mux(packet)
    return out


def audio_with_cover(path, seconds=3.0):
    """An audio file with cover art, as music files carry it: a tone, and a video stream of one still picture."""
    import av

    with av.open(str(path), "w", format="matroska") as container:
        picture = container.add_stream("mjpeg", rate=1)
        picture.width, picture.height, picture.pix_fmt = 96, 96, "yuvj420p"
        sound = container.add_stream("aac", rate=RATE)
        sound.layout = "mono"
        container.mux(picture.encode(av.VideoFrame.from_ndarray(solid((250, 200, 0))[:96, :96], format="rgb24")))
        container.mux(picture.encode(None))
        samples = tone(seconds)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = RATE
        container.mux(sound.encode(frame))
        container.mux(sound.encode(None))
    return path

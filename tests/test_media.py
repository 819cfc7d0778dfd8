import numpy as np
import pytest
from media_fixtures import RATE, three_scene_video, tone

from genrelib.data import media


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return three_scene_video(tmp_path_factory.mktemp("media") / "three.mp4")


def test_probe_reports_duration_and_streams(video):
    info = media.probe(video)
    assert info.duration == pytest.approx(6.5, abs=0.1)
    assert info.has_video and info.has_audio and info.fps == 12 and (info.width, info.height) == (320, 240)


def test_scene_cuts_and_middle_keyframes(video):
    cuts, end = media.scene_cuts(video)
    np.testing.assert_allclose(cuts, [2.0, 5.0], atol=1 / 12)
    frames = media.keyframes(video)
    np.testing.assert_allclose(frames.times, [1.0, 3.5, 5.75], atol=1 / 12 + 1e-6)
    assert [tuple(np.argsort(-img.reshape(-1, 3).mean(0))[:1]) for img in frames.images] == [(0,), (1,), (2,)]


def test_no_scene_cut_gives_one_keyframe(tmp_path):
    from media_fixtures import solid

    from genrelib.data import compose

    path = compose.write_video(tmp_path / "one.mp4", [(solid((90, 90, 90)), 3.0)])
    frames = media.keyframes(path)
    assert len(frames.cuts) == 0 and len(frames.images) == 1 and frames.times[0] == pytest.approx(1.5, abs=0.1)


def test_audio_is_mono_at_the_requested_rate(video):
    samples = media.audio(video, RATE)
    assert samples.ndim == 1 and len(samples) == pytest.approx(6.5 * RATE, rel=0.02)
    spectrum = np.abs(np.fft.rfft(samples[RATE:3 * RATE]))
    assert np.argmax(spectrum) / 2 == pytest.approx(440, abs=2)  # 2 s window: bin = 0.5 Hz
    assert len(media.audio(video, 32_000)) == pytest.approx(6.5 * 32_000, rel=0.02)


def test_video_without_audio_gives_empty_audio(tmp_path):
    path = three_scene_video(tmp_path / "silent.mp4", with_audio=False)
    assert not media.probe(path).has_audio
    assert media.audio(path, RATE).shape == (0,)


def test_chunks_pad_or_drop_the_tail():
    samples = tone(7.0)
    assert media.chunks(samples, RATE, 3.0).shape == (2, 3 * RATE)  # 1 s tail < half a chunk: dropped
    assert media.chunks(tone(8.0), RATE, 3.0).shape == (3, 3 * RATE)  # 2 s tail: padded
    assert media.chunks(tone(1.0), RATE, 3.0).shape == (1, 3 * RATE)  # shorter than a chunk: kept
    assert media.chunks(np.zeros(0, np.float32), RATE, 3.0).shape == (0, 3 * RATE)


@pytest.mark.parametrize("content", [b"", b"not a video at all", bytes(range(256)) * 40])
def test_unreadable_file_is_a_media_error_naming_it(tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(media.MediaError, match="broken.mp4"):
        media.probe(path)


def test_a_truncated_mp4_fails_naming_the_file_and_the_fix(tmp_path, video):
    # an MP4 cut in half loses its index (written at the end): nothing can be read, and the error says so
    path = tmp_path / "truncated.mp4"
    path.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    for read in (media.probe, media.keyframes):
        with pytest.raises(media.MediaError, match="truncated.mp4: not a readable media file.*complete video file"):
            read(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(media.MediaError, match="nothing.mp4: no such file"):
        media.probe(tmp_path / "nothing.mp4")


def test_a_directory_is_named_as_one(tmp_path):
    (tmp_path / "trailers.mp4").mkdir()
    with pytest.raises(media.MediaError, match="trailers.mp4: is a directory, not a video file"):
        media.probe(tmp_path / "trailers.mp4")


def test_a_raw_stream_without_duration_is_timed_by_its_frames(tmp_path):
    from media_fixtures import raw_video_stream

    path = raw_video_stream(tmp_path / "raw.h264", frames=75, fps=25)
    assert media.probe(path).duration == pytest.approx(3.0)
    assert media.keyframes(path).times == pytest.approx([1.48], abs=0.05)  # the middle frame, not time 0


def test_a_one_frame_video_gives_its_frame(tmp_path):
    from media_fixtures import solid

    from genrelib.data import compose

    path = compose.write_video(tmp_path / "one_frame.mp4", [(solid((200, 30, 30)), 1 / 12)])
    frames = media.keyframes(path)
    assert len(frames.images) == 1 and frames.times[0] == 0.0
    assert frames.images[0][..., 0].mean() > 150  # the red picture itself

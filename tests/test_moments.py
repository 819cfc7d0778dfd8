import numpy as np
import pytest

from genrelib.data import planted
from genrelib.data.labels import GENRES
from genrelib.data.store import FeatureStore, Modality, StoreError, StoreWriter
from genrelib.features import moments


def test_a_moment_holds_the_chunk_covering_its_time_and_the_text_read_within_it():
    clock = np.array([0.5, 1.5, 2.5, 3.5])  # keyframes
    chunks = np.array([1.5, 3.0, 4.5])  # 3 s audio chunks every 1.5 s: their centres
    read = np.array([0.4, 0.9, 2.6])  # OCR tokens: the keyframes they were read from
    sequences = {"clip": np.arange(4.0)[:, None], "audiotag": np.array([[10.0], [20.0], [30.0]]),
                 "ocr": np.array([[1.0], [3.0], [7.0]])}
    tokens = moments.assemble(sequences, {"clip": clock, "audiotag": chunks, "ocr": read})
    # second 0.5 and 1.5 are nearest the first chunk's centre, 2.5 and 3.5 the second's (3.5: 0.5 s from 3.0)
    np.testing.assert_array_equal(tokens[:, 1], [10, 10, 20, 20])
    # moment 0 runs to 1.0 s: tokens at 0.4 and 0.9 are averaged; 2.6 falls in moment 2; the rest read nothing
    np.testing.assert_array_equal(tokens[:, 2], [2, 0, 7, 0])
    np.testing.assert_array_equal(tokens[:, 0], [0, 1, 2, 3])


def test_the_moment_store_joins_frame_t_of_image_and_sound(tmp_path):
    store = planted.write_correspondence_store(tmp_path / "c", {"trn": 3, "val": 1, "tst": 2}, dim=8, frames=8)
    joined = moments.write_moment_store(store, tmp_path / "m")
    assert joined.modalities["moments"].dim == 16 and "recorded times" in joined.description
    for index in range(len(store)):
        np.testing.assert_allclose(joined.frames(index, "moments"), np.concatenate(
            [store.frames(index, "clip"), store.frames(index, "audiotag")], 1), atol=1e-3)
    np.testing.assert_array_equal(joined.indices("tst"), store.indices("tst"))
    np.testing.assert_allclose(joined.times(0, "moments"), np.arange(8) + 0.5)


def _untimed_store(path):
    with StoreWriter(path, [Modality("clip", 2, "t", "t", "t"), Modality("audiotag", 2, "t", "t", "t")]) as writer:
        for number, split in enumerate(["trn", "val"]):
            writer.add(f"v{number}", {"clip": np.ones((4, 2)), "audiotag": np.arange(4.0).reshape(2, 2)},
                       np.eye(len(GENRES))[number], split)
    return FeatureStore(path)


def test_a_store_without_times_is_refused_by_name_or_spread_evenly_when_asked(tmp_path):
    store = _untimed_store(tmp_path / "s")
    assert not store.has_times("clip")
    with pytest.raises(StoreError, match="clip, audiotag record no times"):
        moments.write_moment_store(store, tmp_path / "m")
    spread = moments.write_moment_store(store, tmp_path / "a", approximate=True)
    assert "approximate timeline" in spread.description
    # 4 keyframes at 1/8, 3/8, 5/8, 7/8 of the video; 2 chunks centred at 1/4 and 3/4
    np.testing.assert_array_equal(spread.frames(0, "moments")[:, 2], [0, 0, 2, 2])


def test_a_modality_keeps_times_only_if_every_video_gave_them(tmp_path):
    with StoreWriter(tmp_path / "s", [Modality("clip", 1, "t", "t", "t")]) as writer:
        writer.add("a", {"clip": np.zeros((2, 1))}, np.eye(len(GENRES))[0], "trn", {"clip": np.array([0.0, 1.0])})
        writer.add("b", {"clip": np.zeros((1, 1))}, np.eye(len(GENRES))[0], "trn")
    assert not FeatureStore(tmp_path / "s").has_times("clip")
    with pytest.raises(StoreError, match="one time per frame"), StoreWriter(
            tmp_path / "t", [Modality("clip", 1, "t", "t", "t")]) as writer:
        writer.add("a", {"clip": np.zeros((2, 1))}, np.eye(len(GENRES))[0], "trn", {"clip": np.array([0.0])})


def test_the_share_read_counts_the_chunks_some_keyframe_is_nearest_to(tmp_path):
    # recorded times: 8 keyframes and 8 chunks at the same seconds, every chunk read
    assert moments.share_read(planted.write_correspondence_store(
        tmp_path / "c", {"trn": 2, "val": 1, "tst": 1}, dim=4, frames=8), "audiotag") == 1.0
    # spread evenly: keyframes at 1/8 .. 7/8 of the video, chunks at 1/4 and 3/4; both chunks read
    assert moments.share_read(_untimed_store(tmp_path / "s"), "audiotag") == 1.0
    with StoreWriter(tmp_path / "d", [Modality("clip", 1, "t", "t", "t"), Modality("audiotag", 1, "t", "t", "t")]) \
            as writer:
        writer.add("v", {"clip": np.zeros((1, 1)), "audiotag": np.zeros((4, 1))}, np.eye(len(GENRES))[0], "trn",
                   {"clip": np.array([5.0]), "audiotag": np.array([1.5, 4.5, 7.5, 10.5])})
    # one keyframe at 5 s against chunks every 3 s: it reads the chunk at 4.5 s, the other three go unread
    assert moments.share_read(FeatureStore(tmp_path / "d"), "audiotag") == 0.25

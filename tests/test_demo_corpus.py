import numpy as np
import pandas as pd
import pytest

from genrelib.data import demo_corpus as demo
from genrelib.data import demo_styles, labels, media


def test_every_genre_has_a_style_with_text():
    assert set(demo.STYLES) == set(labels.GENRES)
    assert all(s.taglines and s.lines for s in demo.STYLES.values())


def test_the_script_holds_every_text_a_planned_clip_shows_or_says():
    plan = demo.plan_clip(tuple(labels.GENRES), np.random.default_rng(3), scenes=600)
    assert {s.text for s in plan if s.text} <= set(demo_styles.script())
    assert {"COMING SOON", "what time is it"} <= set(demo_styles.script())


def test_a_reading_is_set_beside_the_nearest_text_of_the_script():
    readings = pd.Series(["What time is it?", "the clocks ticking", "BEEP"], index=[4, 7, 9])
    found = demo_styles.against_script(readings)
    assert list(found.index) == [4, 7, 9]
    assert found["nearest text of the script"].tolist()[:2] == ["what time is it", "THE CLOCK IS TICKING"]
    assert found.loc[4, "similarity"] == 1.0  # the same words, whatever their case and punctuation
    assert found.loc[7, "similarity"] != round(found.loc[7, "similarity"], 2)  # unrounded: 1.0 means the same words
    assert 0.8 < found.loc[7, "similarity"] < 1.0  # "CLOCK IS" read as one word
    assert found.loc[9, "similarity"] < 0.5  # a sound written as a word is near no line
    assert demo_styles.against_script(pd.Series([], dtype=str)).empty


def test_clip_plan_is_seeded_and_evidence_is_sparse():
    plans = [demo.plan_clip(("Horror", "Thriller"), np.random.default_rng(7), scenes=400) for _ in range(2)]
    assert plans[0] == plans[1]
    evidence = [s for s in plans[0] if s.genre]
    assert {s.genre for s in evidence} == {"Horror", "Thriller"}
    assert abs(len(evidence) / 400 - demo.EVIDENCE) < 0.08
    assert {s.kind for s in plans[0]} == {"picture", "title", "speech"}
    horror_titles = {s.text for s in evidence if s.kind == "title" and s.genre == "Horror"}
    assert horror_titles <= set(demo.STYLES["Horror"].taglines)


def test_unlabelled_trailer_gets_only_neutral_scenes():
    assert all(s.genre is None for s in demo.plan_clip((), np.random.default_rng(0), scenes=50))


def test_corpus_keeps_real_genres_and_splits(tiny_movienet, tmp_path):
    manifest = demo.make_corpus(tmp_path, {"trn": 2, "tst": 1}, tiny_movienet, scenes=3, speech=False,
                                progress=False)
    corpus = demo.read_corpus(manifest)
    movienet, splits = labels.load_labels(tiny_movienet), labels.load_splits(tiny_movienet)
    for video_id, row in corpus.iterrows():
        assert video_id == f"demo-{row['youtube_id']}"
        assert row["genres"] == movienet.frame.loc[row["youtube_id"], "genres"]
        assert row["youtube_id"] in splits[row["split"]]
        info = media.probe(row["path"])
        assert info.has_video and info.has_audio and 2.5 < info.duration < 6.5  # 3 shots of 1-2 s


def test_speech_comes_from_the_packaged_espeak():
    from genrelib.data import compose

    short, long = compose.speech("yes"), compose.speech("nobody leaves this town tonight, not one of you")
    assert short.dtype == np.float32 and 0.2 < len(short) / 16_000 < 1.5
    assert len(long) > 3 * len(short) and 0.05 < np.abs(long).max() <= 1.0


def test_missing_manifest_says_how_to_make_it(tmp_path):
    with pytest.raises(demo.DemoError, match="make_corpus"):
        demo.read_corpus(tmp_path / "corpus.csv")


def test_the_same_clips_come_out_of_one_process_or_several(tiny_movienet, tmp_path):
    """eSpeak NG's output depends on what it spoke before in its process, so the speech is synthesised in one
    process whatever the number of workers; each corpus is made by a fresh interpreter, as by a chapter."""
    import hashlib
    import subprocess
    import sys

    make = ("import sys; from genrelib.data import demo_corpus; "
            "demo_corpus.make_corpus(sys.argv[1], {'trn': 3, 'tst': 2}, sys.argv[2], scenes=4, progress=False, "
            "workers=int(sys.argv[3]))")
    digests = []
    for workers in (1, 2):
        out = tmp_path / f"workers{workers}"
        subprocess.run([sys.executable, "-c", make, str(out), str(tiny_movienet), str(workers)], check=True)
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.mp4"))})
    assert len(digests[0]) == 5 and digests[0] == digests[1]


def test_the_showcase_is_the_test_clip_showing_most_genres():
    corpus = pd.DataFrame({"split": ["trn", "tst", "tst", "tst", "tst", "tst"],
                           "evidence": ["picture:Horror|picture:War|picture:Drama", "",
                                        "title:Drama|title:Drama|title:Drama",
                                        "picture:Comedy|picture:Comedy|speech:Comedy|picture:Comedy",
                                        "picture:Comedy|title:Comedy|speech:Family",
                                        "speech:War|title:War|picture:Crime"]},
                          index=["train", "none", "titles-only", "one-genre", "two-genres-first",
                                 "two-genres-second"])
    # a training clip never, however much it shows; two genres in sight before one genre in four shots; among
    # equals the one listed first
    assert demo.showcase_clip(corpus) == "two-genres-first"
    # a genre line is spoken in front of the genre's setting, so its genre is in sight
    assert demo.showcase_clip(corpus.drop(index="two-genres-first")) == "two-genres-second"
    assert demo.showcase_clip(corpus.drop(index=["two-genres-first", "two-genres-second"])) == "one-genre"
    assert demo.showcase_clip(corpus.loc[["none", "titles-only"]]) == "titles-only"
    # real trailers carry no planted evidence: the split's first video
    assert demo.showcase_clip(corpus.assign(evidence="")) == "none"
    with pytest.raises(demo.DemoError, match="'val'"):
        demo.showcase_clip(corpus, "val")


def test_a_line_is_spoken_in_front_of_its_setting(tmp_path):
    """A genre line shows the genre's picture behind the speaker, a neutral line a neutral room; neighbouring
    neutral rooms differ in tone, so that FFmpeg cuts them apart as it would real shots."""
    silence = np.zeros(8_000, np.float32)
    plan = [demo.Scene("speech", "Horror", 1.5, "x"), demo.Scene("speech", None, 1.5, "y"),
            demo.Scene("picture", None, 1.5), demo.Scene("picture", None, 1.5)]
    path = demo.render_clip(tmp_path / "clip.mp4", plan, np.random.default_rng(3), [silence, silence])
    keyframes = media.keyframes(path, media.SCENE_THRESHOLD).images
    assert len(keyframes) == 4
    red, green, blue = keyframes[0].reshape(-1, 3).mean(0)
    assert red > 2 * green and red > 2 * blue  # Horror's black-to-blood-red ramp
    neutral = [image.reshape(-1, 3).mean(0) for image in keyframes[1:]]
    assert all(np.ptp(colour) < 30 for colour in neutral)  # muted: no channel far from the others


def test_the_key_draws_every_genre_once_and_a_neutral_room():
    key = demo.genre_pictures()
    assert list(key)[:-1] == list(demo.STYLES) and list(key)[-1].startswith("neutral")
    assert {picture.shape for picture in key.values()} == {(demo.SIZE[1], demo.SIZE[0] + 16, 3)}
    # Horror's black-to-red ramp and Sci-Fi's deep blue stay apart: a reader can tell genres by colour
    horror, scifi = (key[genre].reshape(-1, 3).mean(0) for genre in ("Horror", "Sci-Fi"))
    assert horror[0] > horror[2] and scifi[2] > scifi[0]

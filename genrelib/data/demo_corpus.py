"""The embedded default data: a corpus of short, trailer-like video files made offline.

Why: MovieNet's trailers are YouTube videos that cannot be fetched here, yet
the book should run the whole method, extraction included, on real video
files. So we make them.

How a clip is made (:func:`plan_clip`, :func:`render_clip`). A real MovieNet trailer lends its genre
set and its split; the clip is called ``demo-<youtube id>``. It has
``scenes`` short shots, as a trailer cuts fast: 1-2 s each, a spoken line as
long as it takes. Each shot is, independently, *evidence* with probability
``evidence`` (for one genre of the trailer, drawn at random) and *neutral*
otherwise, and shows one kind of content (a picture in half of the shots, a
title card or a spoken line in a quarter each, ``SHOT_KINDS``):

* a picture: an evidence picture is drawn in the genre's palette and motif
  (dark red drips for Horror, stars on deep blue for Sci-Fi, sepia mesas for
  Western ...); a neutral one is a room of boxes in a muted tone of its own;
* a title card: white text on black, a genre tagline ("THIS HALLOWEEN, FEAR HAS
  A NAME") or a neutral one ("COMING SOON");
* a spoken line, synthesised by eSpeak NG (:func:`genrelib.data.compose.speech`),
  with the speaker's silhouette in front of the setting the line belongs to:
  a genre line in the genre's picture, a neutral line in a neutral room. The
  line plays over near silence so that speech recognition has a chance.

Under pictures and title cards plays synthetic music: genre music (tempo,
scale, timbre and register per genre, plus effects such as gunshot-like noise
bursts for Action, War and Western) in evidence shots, a quiet pad on a root
of its own otherwise, so the score changes with the shots. Evidence is thus
sparse in time and spread over modalities, as in a trailer.

What it cannot show: the pictures are drawings, not film; the music is
synthesised; the taglines and lines are few and repeat. A model that scores
well here has learned our recipes, not cinema. The book reports its numbers as
demo-corpus numbers, never as MovieNet's.
"""

from __future__ import annotations

import csv
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from genrelib.common.progress import progress as progress_bar
from genrelib.data import compose, labels
from genrelib.data.demo_styles import NEUTRAL_LINES, NEUTRAL_TAGLINES, STYLES, GenreStyle

RATE = 16_000
SIZE = (320, 240)
SCENES, EVIDENCE = 9, 0.5  # shots per clip; the chance that a shot carries one of the clip's genres
SHOT_SECONDS = (1.0, 2.0)  # a picture's or a card's length; a spoken line lasts as long as it takes
SHOT_KINDS = {"picture": 2, "title": 1, "speech": 1}  # how often each kind of shot is drawn, relatively
MANIFEST = "corpus.csv"


class DemoError(RuntimeError):
    """The demo corpus cannot be made; the message says what is missing."""



def _font(size: int):
    return ImageFont.load_default(size=size)


def _neutral_tone(rng: np.random.Generator, previous: int | None) -> int:
    """A neutral room's brightness, at least 50 levels from the previous room's: FFmpeg would merge two rooms of
    one grey into one scene, where real neighbouring shots are cut apart."""
    while True:
        tone = int(rng.integers(35, 190))
        if previous is None or abs(tone - previous) >= 50:
            return tone


def _neutral_palette(tone: int, rng: np.random.Generator) -> tuple:
    """A room in a muted tint of ``tone``: no channel far from the others, so no genre's colours."""
    base = tone + rng.integers(-12, 13, size=3)
    return tuple(base), tuple(np.clip(base + 40, 0, 255)), tuple(np.clip(base + 20, 0, 255))


def _speaker(draw: ImageDraw.ImageDraw, width: int, height: int, rng: np.random.Generator) -> None:
    """A dark silhouette, head and shoulders, in front of the scene: who speaks the line."""
    x = int(rng.integers(width // 4, 3 * width // 4))
    draw.ellipse((x - 28, height - 170, x + 28, height - 106), fill=(15, 15, 18))
    draw.polygon([(x - 80, height), (x - 56, height - 100), (x + 56, height - 100), (x + 80, height)],
                 fill=(15, 15, 18))


def _picture(style: GenreStyle | None, rng: np.random.Generator, speaker: bool = False, tone: int = 110) -> np.ndarray:
    """A genre's picture, or a neutral room of brightness ``tone``; ``speaker``: with a speaker in front."""
    width, height = SIZE[0] + 16, SIZE[1]
    top, bottom, accent = style.palette if style else _neutral_palette(tone, rng)
    ramp = np.linspace(0, 1, height)[:, None, None]
    image = Image.fromarray((np.asarray(top) * (1 - ramp) + np.asarray(bottom) * ramp).repeat(width, 1)
                            .astype(np.uint8))
    draw = ImageDraw.Draw(image)
    motif = style.motif if style else "boxes"
    for _ in range(int(rng.integers(5, 12))):
        x, y, s = int(rng.integers(0, width)), int(rng.integers(0, height)), int(rng.integers(8, 40))
        if motif in ("circles", "hearts"):
            draw.ellipse((x, y, x + s, y + s), fill=accent)
            if motif == "hearts":
                draw.ellipse((x + s * 0.6, y, x + 1.6 * s, y + s), fill=accent)
                draw.polygon([(x, y + s * 0.6), (x + 1.6 * s, y + s * 0.6), (x + 0.8 * s, y + 1.8 * s)], fill=accent)
        elif motif == "stars":
            draw.regular_polygon((x, y, max(2, s // 4)), 5, fill=accent)
        elif motif == "stripes":
            draw.rectangle((0, y, width, y + s // 4), fill=accent)
        elif motif == "drips":
            draw.rectangle((x, 0, x + s // 5, y), fill=accent)
            draw.ellipse((x - 3, y - 3, x + s // 5 + 3, y + s // 5 + 3), fill=accent)
        elif motif == "mesas":
            draw.polygon([(x - 2 * s, height), (x - s, height - 3 * s), (x + s, height - 3 * s), (x + 2 * s, height)],
                         fill=accent)
        elif motif == "waves":
            draw.arc((x - 3 * s, y - s, x + 3 * s, y + s), 0, 180, fill=accent, width=3)
        else:  # blocks and the neutral room's boxes
            draw.rectangle((x, y, x + 2 * s, y + s), fill=accent, outline=tuple(c // 2 for c in accent))
    if speaker:
        _speaker(draw, width, height, rng)
    return np.asarray(image)


def genre_pictures(seed: int = 0) -> dict[str, np.ndarray]:
    """One picture of each genre as the clips draw it, and a neutral room: the key to reading a clip's
    keyframes (a genre's shapes fall elsewhere in every picture)."""
    rng = np.random.default_rng(seed)
    pictures = {genre: _picture(style, rng) for genre, style in STYLES.items()}
    return pictures | {"neutral (any tone)": _picture(None, rng, tone=_neutral_tone(rng, None))}


def _card(text: str) -> np.ndarray:
    image = Image.new("RGB", (SIZE[0] + 16, SIZE[1]), (0, 0, 0))
    draw, font = ImageDraw.Draw(image), _font(24)
    words, lines = text.split(), [""]
    for word in words:
        candidate = f"{lines[-1]} {word}".strip()
        if draw.textlength(candidate, font=font) <= SIZE[0] - 40:
            lines[-1] = candidate
        else:
            lines.append(word)
    y = SIZE[1] // 2 - 16 * len(lines)
    for line in lines:
        draw.text((20, y), line, fill=(245, 245, 245), font=font)
        y += 32
    return np.asarray(image)


def _note(hz: float, seconds: float, timbre: str) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    if timbre == "square":
        wave = np.sign(np.sin(2 * np.pi * hz * t))
    elif timbre == "saw":
        wave = 2 * ((hz * t) % 1.0) - 1
    elif timbre == "pluck":
        wave = np.sin(2 * np.pi * hz * t) * np.exp(-6 * t) + 0.3 * np.sin(4 * np.pi * hz * t) * np.exp(-9 * t)
    else:
        wave = np.sin(2 * np.pi * hz * t)
    envelope = np.minimum(1, np.minimum(t / 0.01, (seconds - t) / 0.03).clip(0))
    return (wave * envelope).astype(np.float32)


def _music(style: GenreStyle | None, seconds: float, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(int(RATE * seconds), np.float32)
    if style is None:  # neutral: a quiet low pad, on a root of its own so that the score moves from shot to shot
        t, root = np.arange(len(out)) / RATE, 110 * 2 ** (int(rng.integers(0, 8)) / 12)
        return (0.03 * np.sin(2 * np.pi * root * t) + 0.005 * rng.standard_normal(len(out))).astype(np.float32)
    beat = 60.0 / style.tempo
    for k, start in enumerate(np.arange(0, seconds - 0.05, beat / 2)):
        step = style.scale[int(rng.integers(len(style.scale)))] + 12 * int(k % 8 == 0)
        note = _note(style.root * 2 ** (step / 12), min(beat / 2, seconds - start), style.timbre)
        i = int(start * RATE)
        out[i:i + len(note)] += 0.25 * note[:len(out) - i]
    if style.effect == "bursts":
        for start in rng.uniform(0, max(seconds - 0.3, 0.01), size=2):
            i, n = int(start * RATE), int(0.15 * RATE)
            out[i:i + n] += (rng.standard_normal(n) * np.exp(-np.arange(n) / (0.03 * RATE)))[:len(out) - i]
    elif style.effect == "drone":
        t = np.arange(len(out)) / RATE
        out += 0.2 * np.sin(2 * np.pi * 41 * t) * np.sin(2 * np.pi * 0.5 * t)
    elif style.effect == "laugh":
        for start in rng.uniform(0, max(seconds - 0.6, 0.01), size=1):
            i = int(start * RATE)
            burst = np.concatenate([_note(300 + 40 * j, 0.09, "saw") * 0.3 for j in range(5)])
            out[i:i + len(burst)] += burst[:len(out) - i]
    return np.clip(out, -1, 1)


@dataclass
class Scene:
    kind: str  # picture, title, speech
    genre: str | None  # None: neutral
    seconds: float
    text: str = ""


def plan_clip(genres: tuple[str, ...], rng: np.random.Generator, scenes: int = SCENES, evidence: float = EVIDENCE,
              speech: bool = True) -> list[Scene]:
    """Draw a clip's scenes: which kind, which genre (or neutral), how long, what is written or said."""
    kinds = [kind for kind in SHOT_KINDS if speech or kind != "speech"]
    weights = np.array([SHOT_KINDS[kind] for kind in kinds], float)
    plan = []
    for _ in range(scenes):
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        genre = genres[int(rng.integers(len(genres)))] if genres and rng.random() < evidence else None
        seconds = float(rng.uniform(*SHOT_SECONDS))
        if kind == "title":
            pool = STYLES[genre].taglines if genre else NEUTRAL_TAGLINES
        elif kind == "speech":
            pool = STYLES[genre].lines if genre else NEUTRAL_LINES
        else:
            pool = ("",)
        plan.append(Scene(kind, genre, seconds, pool[int(rng.integers(len(pool)))]))
    return plan


def speak(plan: list[Scene]) -> list[np.ndarray]:
    """The voice of each speech scene of a planned clip, in order (eSpeak NG, :func:`genrelib.data.compose.speech`)."""
    return [compose.speech(scene.text, RATE) for scene in plan if scene.kind == "speech"]


def render_clip(path: Path, plan: list[Scene], rng: np.random.Generator, voices: list[np.ndarray]) -> Path:
    """Encode a planned clip: pictures, cards and speakers' stills, with the soundtrack; ``voices`` are its speech
    scenes' lines, as :func:`speak` gives them."""
    voices = iter(voices)
    frames, sound, tone = [], [], None
    for scene in plan:
        style = STYLES[scene.genre] if scene.genre else None
        if style is None and scene.kind != "title":
            tone = _neutral_tone(rng, tone)
        if scene.kind == "speech":
            voice = next(voices)
            seconds = max(scene.seconds, len(voice) / RATE + 0.3)
            track = np.zeros(int(RATE * seconds), np.float32)
            track[:len(voice)] = voice
            track += 0.003 * rng.standard_normal(len(track)).astype(np.float32)
            frames.append((_picture(style, rng, speaker=True, tone=tone), seconds))
        else:
            seconds = scene.seconds
            track = _music(style, seconds, rng)
            frames.append((_card(scene.text) if scene.kind == "title" else _picture(style, rng, tone=tone), seconds))
        sound.append(track)
    return compose.write_video(path, frames, np.concatenate(sound), rate=RATE, size=SIZE)


def _render(job: tuple) -> Path:
    return render_clip(*job)


def make_corpus(out: str | Path, videos_per_split: dict[str, int], movienet_dir=None, seed: int = 0,
                scenes: int = SCENES, evidence: float = EVIDENCE, speech: bool = True, progress: bool = True,
                workers: int = 1) -> Path:
    """Make (or complete) the demo corpus in ``out``; returns the path of its manifest ``corpus.csv``.

    The labelled trailers are the first ``videos_per_split[s]`` of a seeded
    shuffle of each split among trailers with at least one genre. Clips already
    on disk are kept, so an interrupted run resumes. ``workers`` processes draw
    and encode the clips; the speech is synthesised here, clip after clip, because
    eSpeak NG's output depends on what it spoke before in the process: so the
    same clips come out whatever the number of workers.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    movienet, splits = labels.load_labels(movienet_dir), labels.load_splits(movienet_dir)
    rows, missing = [], []
    for split, count in videos_per_split.items():
        labelled = [v for v in splits[split] if movienet.frame.loc[v, "genres"]]
        chosen = np.random.default_rng([seed, labels.SPLIT_NAMES.index(split)]).permutation(labelled)[:count]
        for youtube_id in chosen:
            genres = movienet.frame.loc[youtube_id, "genres"]
            clip_rng = np.random.default_rng([seed, *map(ord, youtube_id)])
            plan = plan_clip(genres, clip_rng, scenes, evidence, speech)
            path = out / f"demo-{youtube_id}.mp4"
            if not path.is_file():
                missing.append((path, plan, clip_rng))
            rows.append({"video_id": f"demo-{youtube_id}", "youtube_id": youtube_id, "split": split,
                         "genres": "|".join(genres), "path": path.name,
                         "evidence": "|".join(f"{s.kind}:{s.genre}" for s in plan if s.genre)})
    jobs = ((path, plan, clip_rng, speak(plan)) for path, plan, clip_rng in missing)
    bar = progress_bar(total=len(missing), desc="demo clips", enabled=progress)
    if workers > 1 and len(missing) > 1:
        # spawn, as extraction does; the pool draws while this process speaks the next clips' lines
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for _ in pool.map(_render, jobs):
                bar.update()
    else:
        for job in jobs:
            _render(job)
            bar.update()
    bar.close()
    manifest = out / MANIFEST
    with open(manifest, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def read_corpus(manifest: str | Path):
    """The corpus manifest as a DataFrame indexed by video id, with absolute paths and genre tuples."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise DemoError(f"{manifest}: no demo corpus here; execute chapter 2 (02_extraction), as `make book` "
                        "does, or call genrelib.data.demo_corpus.make_corpus")
    frame = pd.read_csv(manifest, dtype=str, keep_default_na=False).set_index("video_id")
    frame["path"] = [str(manifest.parent / p) for p in frame["path"]]
    frame["genres"] = [tuple(g.split("|")) if g else () for g in frame["genres"]]
    return frame


def showcase_clip(corpus: pd.DataFrame, split: str = "tst") -> str:
    """The video of ``split`` that shows most of its genres: the most genres one can see (in pictures, or in
    the setting a genre's line is spoken in), then the most such shots, then the most genre shots of any
    kind, the first in the table's order on a tie. Genres first: FFmpeg merges neighbouring shots of one
    genre, so a clip of one genre shows few keyframes however many shots carry it. Real trailers (no
    planted evidence) give the first video of the split."""
    chosen = corpus[corpus["split"] == split]
    if chosen.empty:
        raise DemoError(f"no video of the split {split!r} in the corpus table")
    shots = chosen["evidence"].str.split("|")
    in_sight = shots.map(lambda kinds: [kind.split(":", 1)[1] for kind in kinds
                                        if kind.startswith(("picture:", "speech:"))])
    ranked = pd.DataFrame({"genres": in_sight.map(lambda genres: len(set(genres))), "seen": in_sight.map(len),
                           "evidence": shots.map(lambda kinds: sum(bool(kind) for kind in kinds))})
    # a stable sort keeps the table's order among equals
    return ranked.sort_values(["genres", "seen", "evidence"], ascending=False, kind="stable").index[0]

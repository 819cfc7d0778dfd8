"""What each genre looks, reads and sounds like in the demo corpus (:mod:`genrelib.data.demo_corpus`): its
palette and motif, its taglines and spoken lines, its music; and the neutral cards and lines of shots that carry no
genre. Recipes of ours, chosen so that a person and a pretrained model can tell the genres apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

import pandas as pd


@dataclass(frozen=True)
class GenreStyle:
    palette: tuple  # background top, background bottom, motif colour
    motif: str  # circles, stars, stripes, drips, mesas, hearts, blocks, waves
    taglines: tuple[str, ...]
    lines: tuple[str, ...]
    tempo: float  # beats per minute
    scale: tuple[int, ...]  # semitone steps from the root
    root: float  # Hz
    timbre: str  # sine, square, pluck, saw
    effect: str | None = None  # bursts (gunshot-like), drone, laugh


MAJOR, MINOR, DIMINISHED = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10), (0, 1, 3, 6, 9)
STYLES: dict[str, GenreStyle] = {
    "Action": GenreStyle(((40, 40, 60), (200, 90, 20), (255, 200, 0)), "blocks",
                         ("ONE MAN. ONE MISSION.", "NO RULES. NO MERCY."),
                         ("get down, they are shooting at us", "we have one chance to stop the bomb"),
                         150, MINOR, 110.0, "square", "bursts"),
    "Adventure": GenreStyle(((60, 140, 200), (220, 190, 120), (40, 120, 40)), "mesas",
                            ("THE JOURNEY OF A LIFETIME", "BEYOND THE MAP"),
                            ("the treasure is beyond those mountains", "pack your bags, we sail at dawn"),
                            120, MAJOR, 196.0, "saw"),
    "Animation": GenreStyle(((255, 220, 60), (80, 200, 255), (255, 60, 160)), "circles",
                            ("A FAMILY FILM FROM THE MAKERS OF FUN", "GET READY TO LAUGH"),
                            ("hooray, let's go and play", "i am the bravest little rabbit"),
                            132, MAJOR, 392.0, "sine"),
    "Biography": GenreStyle(((90, 80, 70), (170, 160, 140), (60, 50, 40)), "stripes",
                            ("THE TRUE STORY OF A LEGEND", "BASED ON A TRUE STORY"),
                            ("she was born in a small village in nineteen twenty", "his life changed history"),
                            80, MAJOR, 220.0, "sine"),
    "Comedy": GenreStyle(((255, 240, 80), (255, 150, 50), (30, 160, 255)), "circles",
                         ("THE FUNNIEST MOVIE OF THE YEAR", "SOME FAMILIES ARE JUST CRAZY"),
                         ("that is not my pants, those are your pants", "honey, i think i lost the dog again"),
                         140, MAJOR, 262.0, "square", "laugh"),
    "Crime": GenreStyle(((20, 20, 30), (70, 70, 90), (200, 200, 60)), "stripes",
                        ("EVERYONE HAS A PRICE", "THE PERFECT HEIST"),
                        ("the police know about the money", "nobody talks to the detective"),
                        96, MINOR, 147.0, "saw", "bursts"),
    "Documentary": GenreStyle(((110, 150, 110), (200, 210, 190), (90, 110, 80)), "waves",
                              ("AN INVESTIGATION", "THE FACTS BEHIND THE STORY"),
                              ("scientists have studied these animals for years", "the data shows a clear change"),
                              70, MAJOR, 196.0, "sine"),
    "Drama": GenreStyle(((60, 70, 90), (140, 130, 150), (230, 220, 200)), "waves",
                        ("A STORY OF LOVE AND LOSS", "SOME WOUNDS NEVER HEAL"),
                        ("i never told you how sorry i am", "we cannot go back to the way it was"),
                        66, MINOR, 220.0, "sine"),
    "Family": GenreStyle(((120, 210, 120), (255, 230, 150), (255, 120, 80)), "hearts",
                         ("FUN FOR THE WHOLE FAMILY", "HOME IS WHERE THE HEART IS"),
                         ("mom, dad, can we keep the puppy", "together we can save the farm"),
                         116, MAJOR, 330.0, "pluck"),
    "Fantasy": GenreStyle(((70, 20, 110), (200, 120, 220), (255, 230, 120)), "stars",
                          ("MAGIC HAS A PRICE", "A KINGDOM AWAITS ITS KING"),
                          ("the dragon guards the ancient sword", "only the wizard can break the spell"),
                          90, MINOR, 294.0, "sine"),
    "History": GenreStyle(((120, 100, 60), (200, 180, 130), (110, 40, 30)), "stripes",
                          ("AN EMPIRE WILL FALL", "THE BATTLE THAT CHANGED THE WORLD"),
                          ("the king has declared war on the empire",
                           "in the year seventeen ninety the revolution began"),
                          76, MINOR, 147.0, "saw"),
    "Horror": GenreStyle(((5, 5, 5), (90, 0, 0), (200, 0, 0)), "drips",
                         ("THIS HALLOWEEN, FEAR HAS A NAME", "DO NOT GO INTO THE BASEMENT"),
                         ("did you hear that noise in the basement", "something is in the house with us"),
                         50, DIMINISHED, 65.0, "saw", "drone"),
    "Music": GenreStyle(((30, 0, 60), (255, 0, 150), (0, 255, 200)), "waves",
                        ("THE BAND IS BACK", "FEEL THE RHYTHM"),
                        ("we play our first concert tonight", "the crowd is singing our song"),
                        124, MAJOR, 262.0, "pluck"),
    "Musical": GenreStyle(((120, 0, 60), (255, 180, 200), (255, 215, 0)), "hearts",
                          ("SING YOUR HEART OUT", "THE SHOW MUST GO ON"),
                          ("and now we sing and dance on the stage", "the curtain rises, everybody sing"),
                          108, MAJOR, 349.0, "sine"),
    "Mystery": GenreStyle(((10, 20, 50), (60, 80, 110), (180, 180, 140)), "stars",
                          ("WHO IS THE KILLER", "EVERY CLUE LEADS TO A SECRET"),
                          ("the letter was written by someone in this room", "find the missing key and find the truth"),
                          72, MINOR, 175.0, "pluck"),
    "Romance": GenreStyle(((255, 150, 170), (255, 220, 200), (220, 30, 80)), "hearts",
                          ("LOVE IS ALL AROUND", "TWO HEARTS ONE SUMMER"),
                          ("i think i am falling in love with you", "will you marry me"),
                          72, MAJOR, 330.0, "sine"),
    "Sci-Fi": GenreStyle(((0, 0, 30), (20, 40, 120), (120, 255, 255)), "stars",
                         ("IN SPACE NO ONE CAN HEAR YOU", "THE FUTURE IS NOW"),
                         ("the alien ship is entering orbit", "set the engines to light speed"),
                         128, MINOR, 110.0, "square"),
    "Sport": GenreStyle(((30, 140, 40), (240, 240, 240), (255, 255, 255)), "stripes",
                        ("ONE TEAM ONE DREAM", "THE FINAL GAME"),
                        ("the coach says we can win the championship", "the ball is in the net, goal"),
                        136, MAJOR, 196.0, "square", "bursts"),
    "Thriller": GenreStyle(((15, 15, 25), (60, 60, 70), (220, 220, 230)), "blocks",
                           ("TRUST NO ONE", "THE CLOCK IS TICKING"),
                           ("they are watching us, we have to run", "you have ten minutes to find her"),
                           112, MINOR, 98.0, "saw", "drone"),
    "War": GenreStyle(((70, 80, 60), (140, 140, 120), (60, 50, 40)), "blocks",
                      ("NO ONE LEAVES THE BATTLEFIELD", "BROTHERS IN ARMS"),
                      ("the enemy is behind that hill, soldiers", "hold the line, men, hold the line"),
                      100, MINOR, 98.0, "square", "bursts"),
    "Western": GenreStyle(((230, 160, 80), (250, 220, 160), (120, 60, 20)), "mesas",
                          ("A SHERIFF. A TOWN. A SHOWDOWN.", "THE LAST OUTLAW"),
                          ("this town is not big enough for the two of us", "saddle the horses, the sheriff is coming"),
                          104, MAJOR, 147.0, "pluck", "bursts"),
}
NEUTRAL_TAGLINES = ("COMING SOON", "IN THEATERS THIS FRIDAY", "FROM THE STUDIO THAT BROUGHT YOU", "RATED PG 13")
NEUTRAL_LINES = ("we need to talk about tomorrow", "i will see you at the station", "please close the door",
                 "what time is it", "let me think about it")


def script() -> tuple[str, ...]:
    """Every text a demo clip can show or say: each genre's taglines and lines, and the neutral ones."""
    genres = [text for style in STYLES.values() for text in (*style.taglines, *style.lines)]
    return tuple(dict.fromkeys([*genres, *NEUTRAL_TAGLINES, *NEUTRAL_LINES]))


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def against_script(readings: pd.Series) -> pd.DataFrame:
    """Each text that OCR or ASR returned, beside the text of the :func:`script` nearest to it and their
    similarity: difflib's ratio of the two texts' lower-case words, 1.0 only when the words are the same. A reading
    near no text of the script is not what the clip shows or says: a misreading, or a sound written as words.
    Rows keep the index of ``readings``."""
    known = {_words(text): text for text in script()}
    rows = []
    for reading in readings:
        words = _words(reading)
        ratios = {candidate: SequenceMatcher(None, words, candidate).ratio() for candidate in known}
        nearest = max(ratios, key=ratios.get)
        rows.append({"nearest text of the script": known[nearest], "similarity": ratios[nearest]})
    return pd.DataFrame(rows, index=readings.index, columns=["nearest text of the script", "similarity"])

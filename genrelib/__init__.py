"""genrelib: the library behind the trailer genre book.

Modules follow the data flow: labels -> media -> extractors -> store -> models
-> training -> metrics -> plots / report. Chapters import from here; nothing
here imports a chapter.
"""

__version__ = "0.1.0"

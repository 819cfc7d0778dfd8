"""A chapter opened and saved through a Jupyter server, as JupyterLab does, keeps its source byte for byte."""

import shutil

import jupytext
from lab_server import running

from genrelib.common import paths

CONFIG = paths.REPO_ROOT / "jupytext.toml"


def test_saving_a_chapter_through_the_contents_api_keeps_its_source(tmp_path):
    """GET the chapter as a notebook, as Lab opens it, PUT it back, as Lab saves it: the front matter keeps its
    `bookbuild:` key and gains no version stamp, and every other byte is as it was. The copy's cell options are
    first written as jupytext writes them (the chapters' figure options are quoted otherwise: see the report)."""
    shutil.copy(CONFIG, tmp_path / CONFIG.name)
    chapter = tmp_path / "03_mlp.md"
    source = (paths.REPO_ROOT / "notebooks" / "03_mlp.md").read_text()
    config = jupytext.config.load_jupytext_configuration_file(str(CONFIG))
    chapter.write_text(jupytext.writes(jupytext.reads(source, fmt="md:myst"), fmt="md:myst", config=config))
    before = chapter.read_bytes()
    assert before.split(b"\n---\n")[0] == source.encode().split(b"\n---\n")[0]  # the real front matter
    with running(tmp_path) as server:
        model = server.call("GET", "/api/contents/03_mlp.md?type=notebook&content=1")
        assert model["type"] == "notebook" and len(model["content"]["cells"]) > 20
        server.call("PUT", "/api/contents/03_mlp.md", {"type": "notebook", "format": "json",
                                                      "content": model["content"]})
    after = chapter.read_bytes()
    assert b"bookbuild:\n  after: [02_extraction]\n" in after and b"jupytext_version" not in after
    assert after == before

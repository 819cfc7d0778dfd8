import pandas as pd
import pytest

from genrelib import deviations, paper, report


def scores(rows):
    return pd.DataFrame(rows, index=pd.Index(list(rows), name="model")).T.rename_axis("model")


def test_saved_results_round_trip_with_their_source(tmp_path):
    table = pd.DataFrame({("m", "AP"): [1.5, 2.0]}, index=pd.Index(["Drama", "War"], name="genre"))
    report.save_result(tmp_path, "t", table, "caption", "Store demo-offline: ...")
    saved = report.load_results(tmp_path)["t"]
    assert (saved.caption, saved.source) == ("caption", "Store demo-offline: ...")
    assert saved.table.loc["War", "m AP"] == 2.0


def test_each_source_is_named_once_and_scores_are_gathered_beside_the_papers(tmp_path):
    mlp = report.scores_table({"mlp (this run)": type("S", (), {"summary": lambda self: {
        "P@0.5": 10.04, "R@0.5": 2.0, "mAP": 30.26}})()}, paper_rows=("mlp",))
    report.save_result(tmp_path, "03_mlp", mlp, "MLP", "store A")
    report.save_result(tmp_path, "05_baseline", mlp.rename(index={"mlp (this run)": "baseline (this run)"}),
                       "baseline", "store A")
    report.save_result(tmp_path, "07_frame_count", pd.DataFrame({"mAP": [1.0]}, index=pd.Index(["mlp"], name="m")),
                       "frames", "store B")
    results = report.load_results(tmp_path)
    sources = report.data_sources(results)
    assert sources["data and extractors"].tolist() == ["store A", "store B"]
    assert sources.loc["S1", "results"] == "03_mlp, 05_baseline"
    gathered = report.scores_beside_paper(results)
    assert gathered.index.tolist() == ["mlp (this run)", "paper (MovieNet): mlp", "baseline (this run)"]
    assert gathered.loc["mlp (this run)", "mAP"] == pytest.approx(30.3)  # rounded to what it supports
    assert gathered.loc["paper (MovieNet): mlp", "mAP"] == paper.TABLE_1["mlp"]["mAP"]
    assert gathered["source"].tolist() == ["S1", "paper (MovieNet)", "S1"]


def test_the_deviations_table_reads_the_extractors_it_describes():
    from genrelib.extractors import OFFLINE, PAPER

    table = deviations.deviations()
    assert table.index.is_unique and table.notna().all().all()
    assert OFFLINE["audiotag"].model in table.loc["audio tagger", "this build: offline backend"]
    assert PAPER["musicnet"].model in table.loc["music tagger", "this build: paper backend"]
    assert table.loc["chunk hop", "chapter"] == "1"


def test_the_classifier_choices_read_the_built_paper_configuration():
    choices = deviations.classifier_choices()
    assert choices.index.is_unique and choices.notna().all().all()
    assert choices.loc["feed-forward width", "this build"].startswith("1024 in the single-transformer (d 256)")
    assert "5,000 rows" in choices.loc["position tables", "this build"]
    assert choices.loc["training frames of a longer video", "this build"] == "equidistant"
    assert choices.loc["padding", "our option"] == "padding='masked'"
    assert "+ OCR, + ASR" in choices.loc["ablation feature sets", "the paper (section)"]


def test_upper_whisker_known_answer():
    from genrelib.training import upper_whisker

    assert upper_whisker([1, 2, 3, 4, 100]) == pytest.approx(4 + 1.5 * 2)  # Q3 4, IQR 2
    assert upper_whisker([1, 2, 3]) == 3  # capped at the largest value


def test_a_markdown_table_keeps_whole_cells_and_escapes_pipes():
    table = pd.DataFrame({"why": ["a long reason " * 10, "x | y"]}, index=pd.Index(["a", "b"], name="topic"))
    lines = report.markdown_table(table).splitlines()
    assert lines[:2] == ["| topic | why |", "|---|---|"]
    assert lines[2] == f"| a | {'a long reason ' * 10} |" and lines[3] == "| b | x \\| y |"


def test_a_one_seed_ablation_comes_back_with_numbers_not_nones(tmp_path):
    table = pd.DataFrame({"mAP": [30.0], "mAP std": [float("nan")]}, index=pd.Index(["CLIP"], name="features"))
    report.save_result(tmp_path, "06_ablation", table, "ablation", "store A")
    loaded = report.load_results(tmp_path)["06_ablation"].table
    assert loaded["mAP std"].dtype == float and loaded["mAP std"].isna().all()


def test_evidence_sweep_figure_tells_every_line_apart_and_marks_the_swept_values():
    import matplotlib

    matplotlib.use("Agg")
    from genrelib import plots

    rows = [{"strength": s, "training videos": n, "seed": seed, "model": model, "mAP": 10 + s + n / 1000 + seed}
            for s, n in [(3.0, 600), (5.0, 600), (3.0, 2000)] for seed in (0, 1)
            for model in ("reference: prior", "reference: temporal mean", "reference: best frame", "mlp",
                          "genre-attention")]
    fig = plots.evidence_sweep(pd.DataFrame(rows))
    strength, videos = fig.axes
    assert list(strength.get_xticks()) == [3.0, 5.0] and list(videos.get_xticks()) == [600, 2000]
    references = [line for line in strength.get_lines() if line.get_label().startswith("reference")]
    assert len({line.get_linestyle() for line in references}) == 3  # not three identical grey dotted lines
    assert [t.get_text() for t in fig.legends[0].get_texts()][-2:] == ["mlp", "genre-attention"]

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_score, recall_score

from genrelib import metrics
from genrelib.labels import GENRES


def random_problem(seed, n=300, ties=False):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 21)) < rng.uniform(0.02, 0.5, 21)).astype(float)
    y[0] = 1  # every genre has a positive
    scores = rng.random((n, 21))
    if ties:
        scores = np.round(scores, 1)
    return y, scores


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ties", [False, True])
def test_average_precision_equals_scikit_learn(seed, ties):
    y, scores = random_problem(seed, ties=ties)
    expected = [average_precision_score(y[:, g], scores[:, g]) for g in range(21)]
    np.testing.assert_allclose(metrics.average_precision(y, scores), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_macro_scores_equal_scikit_learn(seed):
    y, scores = random_problem(seed)
    result = metrics.evaluate(y, scores)
    predicted = (scores >= 0.5).astype(int)
    assert result.precision == pytest.approx(100 * precision_score(y, predicted, average="macro", zero_division=0),
                                             abs=1e-9)
    assert result.recall == pytest.approx(100 * recall_score(y, predicted, average="macro", zero_division=0),
                                          abs=1e-9)
    assert result.map == pytest.approx(100 * average_precision_score(y, scores, average="macro"), abs=1e-9)


def test_average_precision_known_answer():
    y = np.array([[1], [0], [1], [0]])
    scores = np.array([[0.9], [0.8], [0.7], [0.1]])
    # ranks: hit (P=1), miss, hit (P=2/3) -> AP = (1 + 2/3) / 2
    assert metrics.average_precision(y, scores)[0] == pytest.approx(5 / 6)


def test_perfect_ranking_scores_one_hundred():
    y, _ = random_problem(0)
    assert metrics.evaluate(y, y * 0.9 + 0.05).map == pytest.approx(100.0)


def test_genre_without_positives_is_left_out_and_named():
    y, scores = random_problem(1)
    y[:, GENRES.index("Western")] = 0
    result = metrics.evaluate(y, scores)
    assert result.genres_without_positives == ["Western"]
    assert np.isnan(result.per_genre.loc["Western", "ap"])
    assert result.map == pytest.approx(np.nanmean(result.per_genre["ap"]))


def test_prior_predictor_ap_is_the_prevalence():
    y, _ = random_problem(2)
    ap = metrics.average_precision(y, metrics.prior_scores(y, len(y)))
    np.testing.assert_allclose(ap, y.mean(axis=0))


@pytest.mark.parametrize("y, scores, message", [
    (np.zeros((3, 21)), np.zeros((3, 20)), "one shape"),
    (np.full((3, 21), 2.0), np.zeros((3, 21)), "0 or 1"),
    (np.ones((3, 21)), np.full((3, 21), np.nan), "NaN"),
])
def test_bad_input_is_rejected(y, scores, message):
    with pytest.raises(ValueError, match=message):
        metrics.evaluate(y, scores)


def test_advantage_pairs_models_by_seed():
    import pandas as pd

    from genrelib import experiments

    table = pd.DataFrame({"model": ["mlp", "mlp", "tf", "tf"], "frames": [8, 8, 8, 8], "seed": [0, 1, 0, 1],
                          "mAP": [10.0, 20.0, 13.0, 25.0]})
    gap = experiments.advantage(table, "tf", "mlp")
    assert gap.iloc[0].tolist() == [4.0, pytest.approx(np.std([3.0, 5.0], ddof=1), abs=0.01)]


def test_threshold_note_explains_zero_precision_and_recall():
    from types import SimpleNamespace

    from genrelib import report

    low, high = SimpleNamespace(test_probabilities=np.full((3, 21), 0.31)), SimpleNamespace(
        test_probabilities=np.full((3, 21), 0.7))
    note = report.threshold_note({"low": low, "high": high})
    assert "**low**: no test probability reaches 0.5 (the highest is 0.31)" in note and "**high**" not in note
    assert report.threshold_note({"high": high}).startswith("Every run gives some test probability above 0.5")


def test_scores_table_takes_the_matching_paper_row():
    from genrelib import report

    scores = metrics.evaluate(np.eye(21)[:4] + 0, np.eye(21)[:4] * 0.9)
    table = report.scores_table({"mlp (this run)": scores}, paper_rows=("mlp",))
    assert table.loc["paper (MovieNet): mlp", "mAP"] == 63.16
    with pytest.raises(ValueError, match="Table 1 has no rows"):
        report.scores_table({}, paper_rows=("lstm",))



def test_word_error_rate_known_answers():
    assert metrics.word_error_rate(["the cat sat"], ["The cat sat."]) == 0.0
    assert metrics.word_error_rate(["the cat sat"], ["the bat sat down"]) == pytest.approx(2 / 3)  # 1 sub + 1 ins
    assert metrics.word_error_rate(["a b c d", "e f"], ["a c d", ""]) == pytest.approx(3 / 6)  # 1 + 2 deletions
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        metrics.word_error_rate(["a", "b"], ["a"])

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_score, recall_score

from genrelib.data.labels import GENRES
from genrelib.evaluation import metrics


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

    from genrelib.evaluation import experiments

    table = pd.DataFrame({"model": ["mlp", "mlp", "tf", "tf"], "frames": [8, 8, 8, 8], "seed": [0, 1, 0, 1],
                          "mAP": [10.0, 20.0, 13.0, 25.0]})
    gap = experiments.advantage(table, "tf", "mlp")
    assert gap.iloc[0].tolist() == [4.0, pytest.approx(np.std([3.0, 5.0], ddof=1), abs=0.01)]


def test_scores_table_takes_the_matching_paper_row():
    from genrelib.evaluation import comparisons

    scores = metrics.evaluate(np.eye(21)[:4] + 0, np.eye(21)[:4] * 0.9)
    table = comparisons.scores_table({"mlp (this run)": scores}, paper_rows=("mlp",))
    assert table.loc["paper (MovieNet): mlp", "mAP"] == 63.16
    with pytest.raises(ValueError, match="Table 1 has no rows"):
        comparisons.scores_table({}, paper_rows=("lstm",))



def test_word_error_rate_known_answers():
    assert metrics.word_error_rate(["the cat sat"], ["The cat sat."]) == 0.0
    assert metrics.word_error_rate(["the cat sat"], ["the bat sat down"]) == pytest.approx(2 / 3)  # 1 sub + 1 ins
    assert metrics.word_error_rate(["a b c d", "e f"], ["a c d", ""]) == pytest.approx(3 / 6)  # 1 + 2 deletions
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        metrics.word_error_rate(["a", "b"], ["a"])


def resampled_rows(weights):
    """The rows a multiplicity vector stands for: video i repeated weights[i] times."""
    return np.repeat(np.arange(len(weights)), weights.astype(int))


def test_weighted_scores_equal_evaluate_on_the_duplicated_rows():
    y, scores = random_problem(3, n=200, ties=True)  # scores in 11 values: many tie blocks
    rng = np.random.default_rng(0)
    weights = rng.multinomial(200, np.full(200, 1 / 200), size=6).T.astype(float)  # videos x resamples
    weights[y[:, 4] == 1, 0] = 0  # resample 0 holds no positive of genre 4
    weighted = metrics._WeightedScores(y, scores)
    ap = weighted.average_precision(weights)
    for r in range(weights.shape[1]):
        rows = resampled_rows(weights[:, r])
        np.testing.assert_allclose(ap[:, r], metrics.average_precision(y[rows], scores[rows]), rtol=0, atol=1e-12)
        expected = metrics.evaluate(y[rows], scores[rows]).summary()
        for metric in metrics.METRICS:
            assert weighted.macro(metric, weights[:, [r]])[0] == pytest.approx(expected[metric], abs=1e-10)
    assert np.isnan(ap[4, 0])


def test_weighted_average_precision_counts_a_tie_block_as_one_threshold():
    y = np.array([[1], [1], [0], [0]])
    scores = np.array([[0.9], [0.8], [0.8], [0.1]])
    # video 1 twice, video 3 dropped: at 0.9 one hit of one (P=1, R=1/3), at 0.8 three hits of four (P=3/4,
    # R=1) -> AP = 1/3 + 2/3 * 3/4 = 5/6; ranking the tied positive first would give 1
    weights = np.array([[1.0], [2.0], [1.0], [0.0]])
    rows = resampled_rows(weights[:, 0])
    assert average_precision_score(y[rows, 0], scores[rows, 0]) == pytest.approx(5 / 6, abs=1e-12)
    assert metrics._WeightedScores(y, scores).average_precision(weights)[0, 0] == pytest.approx(5 / 6, abs=1e-12)


@pytest.mark.parametrize("metric", metrics.METRICS)
def test_interval_brackets_evaluate_and_unpacks_as_low_high(metric):
    y, scores = random_problem(4)
    result = metrics.confidence_interval(y, scores, metric, resamples=200)
    assert result.estimate == pytest.approx(metrics.evaluate(y, scores).summary()[metric], abs=1e-10)
    low, high = result
    assert low < result.estimate < high and result.level == 0.95


def test_share_of_resamples_without_a_genres_only_positive():
    y, scores = random_problem(5, n=50)
    y[::2] = 1  # 25 positives in every genre: a resample misses them all with probability 2e-8
    y[:, 0], y[7, 0] = 0, 1  # but genre 0 has one: a resample of 50 misses it with probability (49/50)^50
    for metric in metrics.METRICS:
        share = metrics.confidence_interval(y, scores, metric, resamples=2000).share_without_positives
        assert share == pytest.approx((49 / 50) ** 50, abs=0.035)  # 3 binomial standard errors


def population(n, seed, signal=1.5):
    """Labels with prevalences 3-30 % and scores = signal * label + Gaussian noise."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 21)) < np.linspace(0.03, 0.3, 21)).astype(float)
    return y, signal * y + rng.normal(size=y.shape)


def test_interval_covers_the_expected_test_set_map_and_is_as_wide_as_the_draws_spread():
    y, scores = population(100_000, seed=0)
    rng = np.random.default_rng(1)
    draws = [rng.choice(len(y), 1000, replace=False) for _ in range(200)]
    maps = np.array([metrics.evaluate(y[d], scores[d]).map for d in draws])
    expected = maps.mean()  # AP is biased on small sets: the target is a 1,000-video test set's mean mAP
    intervals = [metrics.confidence_interval(y[d], scores[d], seed=i, resamples=500) for i, d in enumerate(draws[:50])]
    covered = np.mean([low <= expected <= high for low, high in intervals])
    assert covered >= 0.8
    width = np.mean([high - low for low, high in intervals])
    spread = np.diff(np.percentile(maps, [2.5, 97.5]))[0]
    assert 0.8 < width / spread < 1.25


def test_a_clearly_better_model_has_a_difference_that_excludes_zero():
    y, better = population(1000, seed=2, signal=2.0)
    worse = y * 1.0 + np.random.default_rng(3).normal(size=y.shape)
    difference, low, high = metrics.paired_difference(y, better, worse)
    assert difference == pytest.approx(metrics.evaluate(y, better).map - metrics.evaluate(y, worse).map, abs=1e-10)
    assert 0 < low < difference < high
    reverse = metrics.paired_difference(y, worse, better)  # same resamples, so the mirror image
    assert (reverse.difference, reverse.low, reverse.high) == pytest.approx((-difference, -high, -low), abs=1e-9)


@pytest.mark.parametrize("metric", metrics.METRICS)
def test_identical_models_differ_by_zero(metric):
    y, scores = random_problem(6)
    assert tuple(metrics.paired_difference(y, scores, scores.copy(), metric, resamples=200)) == (0.0, 0.0, 0.0)


def test_seeds_reproduce_exactly():
    y, scores = random_problem(7)
    other = np.random.default_rng(8).random(scores.shape)
    assert metrics.confidence_interval(y, scores, seed=3) == metrics.confidence_interval(y, scores, seed=3)
    assert metrics.confidence_interval(y, scores, seed=3) != metrics.confidence_interval(y, scores, seed=4)
    assert metrics.paired_difference(y, scores, other, seed=3) == metrics.paired_difference(y, scores, other, seed=3)


@pytest.mark.parametrize("call, message", [
    (lambda y, s: metrics.confidence_interval(y, s[:, :20]), "one shape"),
    (lambda y, s: metrics.paired_difference(y, s, s[:-1]), "one shape"),
    (lambda y, s: metrics.confidence_interval(y, s, "AUC"), "unknown metric 'AUC'"),
    (lambda y, s: metrics.paired_difference(y, s, s, "map"), "unknown metric 'map'"),
    (lambda y, s: metrics.confidence_interval(y, s, level=95), "between 0 and 1"),
    (lambda y, s: metrics.paired_difference(y, s, s, level=0.0), "between 0 and 1"),
    (lambda y, s: metrics.confidence_interval(y, s, level=1.0), "between 0 and 1"),
    (lambda y, s: metrics.confidence_interval(y, s, resamples=0), "at least 1"),
])
def test_bad_bootstrap_input_is_rejected(call, message):
    y, scores = random_problem(9, n=20)
    with pytest.raises(ValueError, match=message):
        call(y, scores)


def test_a_resample_without_any_positive_is_an_error():
    y, scores = np.zeros((30, 21)), np.random.default_rng(0).random((30, 21))
    y[0, :] = 1  # one labelled video among 30: about a third of the resamples miss it
    with pytest.raises(ValueError, match="too few positives to bootstrap"):
        metrics.confidence_interval(y, scores)


def test_average_precision_of_the_worked_example_in_chapter_1():
    truth = np.array([[1], [0], [1], [1], [0]])
    scores = np.array([[0.9], [0.8], [0.7], [0.6], [0.5]])
    assert metrics.average_precision(truth, scores)[0] == pytest.approx(29 / 36)
    last = np.array([[0], [0], [1], [1], [1]])  # the three positives ranked last
    assert metrics.average_precision(last, scores)[0] == pytest.approx((1 / 3 + 2 / 4 + 3 / 5) / 3)


def test_the_best_read_video_is_the_one_whose_genres_rank_highest():
    labels = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    scores = np.array([[0.9, 0.1, 0.3, 0.2],   # one of its two genres in its top two
                       [0.1, 0.8, 0.7, 0.2],   # both of its two
                       [0.9, 0.1, 0.1, 0.1],   # its one genre: as good a share, but fewer genres
                       [0.9, 0.9, 0.9, 0.9]])  # no genre to find
    assert metrics.best_read(labels, scores) == 1
    assert metrics.best_read(labels[[0, 2]], scores[[0, 2]]) == 1

"""The recommender: training, ONNX export, parity with the numpy reference, masks, cold start."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.recommend.bundle import make_bundle, sha256_hex
from models.recommend.data import PERIODS
from models.recommend.evaluate import evaluate
from models.recommend.features import context_vector, history_vector
from models.recommend.model import SENTINEL, RecommendModel, recommend_reference
from models.recommend.onnx_graph import OnnxRecommender, to_bytes
from models.recommend.synth import Canteen, generate
from models.recommend.train import PREF_TAGS, train
from tests.support.recommend import content_of, tiny_canteen, tiny_model


@pytest.fixture(scope="module")
def canteen() -> Canteen:
    return tiny_canteen()


@pytest.fixture(scope="module")
def model(canteen: Canteen) -> RecommendModel:
    return tiny_model(canteen)


@pytest.fixture(scope="module")
def runner(model: RecommendModel) -> OnnxRecommender:
    return OnnxRecommender.load(to_bytes(model))


def _random_inputs(rng: np.random.Generator, model: RecommendModel
                   ) -> tuple[np.ndarray, np.ndarray]:
    n = model.n
    h = (rng.random((1, n)) * (rng.random((1, n)) < 0.15) * 4).astype(np.float32)
    ctx = context_vector(int(rng.integers(4)), int(rng.integers(7)),
                         rng.choice(PREF_TAGS, int(rng.integers(3)), replace=False), PREF_TAGS)
    return h, ctx


def test_onnx_graph_ranks_as_the_numpy_reference(model: RecommendModel,
                                                 runner: OnnxRecommender) -> None:
    rng = np.random.default_rng(1)
    for _ in range(100):
        h, ctx = _random_inputs(rng, model)
        mask = rng.random((1, model.n)) < rng.random() * 0.6
        got_idx, got_val = runner.top_k(h, ctx, mask, 10)
        want_idx, want_val = recommend_reference(model, h, ctx, mask, 10)
        np.testing.assert_allclose(got_val, want_val, rtol=1e-5, atol=1e-5)
        # the same dishes in the same order, except where two scores tie to float precision
        same = got_idx == want_idx
        assert same.all() or np.allclose(got_val[~same], want_val[~same], atol=1e-5)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_an_excluded_dish_never_comes_out(model: RecommendModel, runner: OnnxRecommender,
                                          data: st.DataObject) -> None:
    n = model.n
    mask = np.array([data.draw(st.lists(st.booleans(), min_size=n, max_size=n))])
    k = data.draw(st.integers(0, n + 10))
    seed = data.draw(st.integers(0, 2**31))
    h, ctx = _random_inputs(np.random.default_rng(seed), model)
    if data.draw(st.booleans()):  # hostile scores: huge, NaN and inf in the history
        h[0, data.draw(st.integers(0, n - 1))] = data.draw(
            st.sampled_from([np.nan, np.inf, 1e30]))
    for idx, val in (runner.top_k(h, ctx, mask, k), recommend_reference(model, h, ctx, mask, k)):
        assert idx.shape == (1, min(k, n))
        chosen = idx[0][idx[0] != SENTINEL]
        assert not mask[0][chosen].any()
        assert len(set(chosen.tolist())) == chosen.size
        # the allowed dishes first, then only sentinels with -inf scores
        tail = idx[0][chosen.size:]
        assert (tail == SENTINEL).all() and np.isneginf(val[0][chosen.size:]).all()
        assert chosen.size <= int((~mask[0]).sum())


def test_k_beyond_the_allowed_dishes_pads_with_the_sentinel(model: RecommendModel,
                                                            runner: OnnxRecommender) -> None:
    mask = np.ones((1, model.n), bool)
    mask[0, [3, 7]] = False
    h, ctx = _random_inputs(np.random.default_rng(2), model)
    idx, val = runner.top_k(h, ctx, mask, 6)
    assert sorted(idx[0][:2].tolist()) == [3, 7]
    assert idx[0][2:].tolist() == [SENTINEL] * 4 and np.isneginf(val[0][2:]).all()
    idx, _ = runner.top_k(h, ctx, mask, model.n + 50)
    assert idx.shape == (1, model.n)  # k is capped at the catalog


def test_members_own_favourites_lead_their_row(canteen: Canteen, model: RecommendModel,
                                              runner: OnnxRecommender) -> None:
    favourite = 5
    h = np.zeros((1, model.n), np.float32)
    h[0, favourite] = 6.0
    ctx = context_vector(1, 2, (), PREF_TAGS)
    idx, _ = runner.top_k(h, ctx, np.zeros((1, model.n), bool), 3)
    assert idx[0][0] == favourite
    # a guest (no history) gets the site's lunch favourites, not the menu's first cards
    idx, _ = runner.top_k(np.zeros_like(h), ctx, np.zeros((1, model.n), bool), 6)
    assert idx[0].tolist() != list(range(6))
    assert all(1 in canteen.dishes[i].periods for i in idx[0])


def test_cold_start_member_preferences_nudge_the_row(model: RecommendModel,
                                                     runner: OnnxRecommender) -> None:
    veg = np.array(["vegetarian" in t for t in _tags(model)])
    plain = context_vector(1, 0, (), PREF_TAGS)
    nudged = context_vector(1, 0, ("vegetarian",), PREF_TAGS)
    free = np.zeros((1, model.n), bool)
    zero = np.zeros((1, model.n), np.float32)
    before = runner.top_k(zero, plain, free, 8)[0][0]
    after = runner.top_k(zero, nudged, free, 8)[0][0]
    assert veg[after].sum() > veg[before].sum()


def _tags(model: RecommendModel) -> list[tuple[str, ...]]:
    veg_row = model.context_table[len(PERIODS) * 7 + PREF_TAGS.index("vegetarian")]
    return [("vegetarian",) if v > 0 else () for v in veg_row]


def test_a_new_dish_without_orders_borrows_from_its_content(canteen: Canteen) -> None:
    """A never-ordered dish: popularity from its category, taste neighbours from its features."""
    cats = [d.category for d in canteen.dishes]
    meat, breakfast = cats.index("meat"), cats.index("breakfast")
    log = canteen.log
    has = np.zeros(log.n_orders, bool)
    rows = log.order_of_row()
    has[rows[np.isin(log.dish, [meat, breakfast])]] = True
    unseen = log.subset(~has)
    with_content = train(unseen, content=content_of(canteen), tune=False)
    without = train(unseen, tune=False)
    lunch = 1 * 7 + 2
    assert with_content.context_table[lunch, meat] > with_content.context_table[lunch, breakfast]
    assert without.context_table[lunch, meat] == without.context_table[lunch, breakfast]
    # a member who eats other meat dishes gets a taste-neighbour score for the new one
    others = [i for i, c in enumerate(cats) if c == "meat" and i != meat]
    h = np.zeros((1, with_content.n), np.float32)
    h[0, others[:3]] = 2.0
    assert (h / (h.sum() + 1) @ with_content.ease)[0, meat] > 0
    assert (h / (h.sum() + 1) @ without.ease)[0, meat] == 0


def test_history_features_decay_and_weigh_other_meal_periods() -> None:
    h = history_vector([(10.0, 1, 0), (10.0, 0, 1), (3.0, 1, 2), (11.0, 1, 3)], now=10.5,
                       period=1, n=4, half_life_days=7.0, other_period_weight=0.25)
    assert h[0, 0] == pytest.approx(0.5 ** (0.5 / 7))
    assert h[0, 1] == pytest.approx(0.25 * 0.5 ** (0.5 / 7))
    assert h[0, 2] == pytest.approx(0.5 ** (7.5 / 7))
    assert h[0, 3] == 0.0  # a later order never counts


def test_training_and_export_are_deterministic(canteen: Canteen, model: RecommendModel) -> None:
    again = tiny_model(tiny_canteen())
    a, manifest = make_bundle(model, version=1, site="s")
    b, _ = make_bundle(again, version=1, site="s")
    assert sha256_hex(a) == sha256_hex(b) == manifest.sha256
    assert manifest.inputs["history"] == ["float32", 1, model.n]


def test_tuned_model_beats_every_baseline_on_a_small_canteen() -> None:
    result = evaluate(generate(11, members=200, days=35, dishes=80).log, k=10)
    best = max(result[b]["ndcg@10"] for b in ("popularity", "personal", "item_knn"))
    assert result["model"]["ndcg@10"] > best

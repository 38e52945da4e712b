"""The evaluation table: model vs popularity, personal and item-kNN on synthetic canteens.

One command: ``python bench/recommend_eval.py``. Runs ``canteen-hub recommend evaluate``'s
code on the project's synthetic canteen (with and without menus) and on two differently
seeded, differently shaped canteens, and prints NDCG@10 / Recall@10 and the model's margin
over the best baseline.
"""

from __future__ import annotations

from models.recommend.evaluate import evaluate
from models.recommend.synth import generate

SETS = {
    "synthetic canteen (seed 7, 600 members, 8 weeks, 240 dishes)": {},
    "seed 99, 300 members, 12 weeks, 400 dishes, 20 % new": dict(
        seed=99, members=300, days=84, dishes=400, new_share=0.2),
    "seed 5, 1,500 members, 4 weeks, 120 dishes": dict(
        seed=5, members=1500, days=28, dishes=120),
}


def main() -> None:
    """Print one row per data set and menu setting."""
    print("| data set | menus | model NDCG@10 | popularity | personal | item-kNN |"
          " model Recall@10 | margin over best |")
    print("|---|---|---|---|---|---|---|---|")
    for name, shape in SETS.items():
        canteen = generate(**shape)  # type: ignore[arg-type]
        for with_menus in (True, False):
            r = evaluate(canteen.log, canteen.menus() if with_menus else None)
            best = max(r[b]["ndcg@10"] for b in ("popularity", "personal", "item_knn"))
            margin = (r["model"]["ndcg@10"] / best - 1) * 100
            print(f"| {name} | {'yes' if with_menus else 'no'} | {r['model']['ndcg@10']:.4f} |"
                  f" {r['popularity']['ndcg@10']:.4f} | {r['personal']['ndcg@10']:.4f} |"
                  f" {r['item_knn']['ndcg@10']:.4f} | {r['model']['recall@10']:.4f} |"
                  f" +{margin:.1f} % |")


if __name__ == "__main__":
    main()

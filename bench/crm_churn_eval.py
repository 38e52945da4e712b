"""Churn score vs recency alone: ROC AUC for "no visit in the next period" (issue 13).

    .venv/bin/python bench/crm_churn_eval.py [--members 3000]

Two time splits, scored with the code `canteen-hub crm score` and the hub use
(hub.crm.scores): the synthetic canteen (bench/crm_synth.py; as of day 300 of 365,
horizon 30 days) and CDNOW (the 69,659 transactions lifetimes ships; calibration to
1997-09-30, holdout the 273 days after, horizon 273). The label is 1 when the member
makes no visit in the holdout; the baseline ranks members by days since their last
visit. Also prints lifetimes' own ModifiedBetaGeoFitter parameters on the same CDNOW
history beside ours, when lifetimes imports.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crm_synth import START, canteen

from hub.crm import scores


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties at mid-rank."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    s = score[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    pos = label.astype(bool)
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def evaluate(name: str, rows: list[tuple[str, date, float]], as_of: date,
             horizon: int) -> dict[str, float]:
    """Score as of ``as_of``, label from the rows after it; print and return the AUCs."""
    cut = as_of.toordinal()
    calib = [(m, d.toordinal(), a) for m, d, a in rows if d.toordinal() <= cut]
    later = {m for m, d, _ in rows if cut < d.toordinal() <= cut + horizon}
    t0 = time.perf_counter()
    visits = scores.visits_from_rows(calib, as_of=as_of, horizon_days=horizon)
    result = scores.score(visits, as_of, horizon_days=horizon)
    took = time.perf_counter() - t0
    label = np.array([k not in later for k in result.keys])
    model = auc(result.churn, label)
    recency = auc(result.recency_days.astype(float), label)
    rfm = auc(scores.rfm_rule(result.r, result.f), label)
    one = result.frequency == 1
    one_auc = auc(result.churn[one], label[one]) if 0 < label[one].sum() < one.sum() else None
    print(f"\n{name}: {len(result.keys)} members as of {as_of}, horizon {horizon} d, "
          f"{label.mean():.1%} made no visit in it; scored in {took:.2f} s ({result.method})")
    print(f"  ROC AUC  churn_probability {model:.4f}   recency only {recency:.4f}   "
          f"RFM rule {rfm:.4f}   (+{model - recency:.4f} over recency)")
    if one_auc is not None:
        print(f"  one-visit members ({int(one.sum())}): churn_probability AUC {one_auc:.4f}; "
              f"mean churn {result.churn[one].mean():.3f} vs {result.churn[~one].mean():.3f} "
              "for repeat members")
    shown = {k: (round(v, 4) if isinstance(v, float) else [round(w, 3) for w in v])
             for k, v in result.params.items()}
    print(f"  params {shown}")
    return {"model": model, "recency": recency, "rfm": rfm}


def cdnow_rows() -> list[tuple[str, date, float]]:
    """CDNOW_master.txt as lifetimes ships it (read directly: no pandas needed)."""
    import importlib.util

    spec = importlib.util.find_spec("lifetimes")
    if spec is None or spec.origin is None:
        raise SystemExit("lifetimes is not installed (pip install 'canteen-edge[crm]')")
    path = Path(spec.origin).parent / "datasets" / "CDNOW_master.txt"
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) < 4 or not parts[1].isdigit():
            continue
        d = parts[1]
        rows.append((parts[0], date(int(d[:4]), int(d[4:6]), int(d[6:])), float(parts[3])))
    return rows


def lifetimes_params(rows: list[tuple[str, date, float]], as_of: date) -> None:
    """lifetimes' own MBG/NBD fit of the same calibration history, for comparison."""
    try:
        import pandas as pd
        from lifetimes import ModifiedBetaGeoFitter
        from lifetimes.utils import summary_data_from_transaction_data
    except Exception as err:  # lifetimes on a newer pandas may not import at all
        print(f"  lifetimes not usable here ({err}); skipped the cross-check")
        return
    frame = pd.DataFrame([(m, d, a) for m, d, a in rows if d <= as_of],
                         columns=["id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    try:
        summary = summary_data_from_transaction_data(frame, "id", "date",
                                                     observation_period_end=str(as_of))
        fitter = ModifiedBetaGeoFitter().fit(summary["frequency"], summary["recency"],
                                             summary["T"])
        print(f"  lifetimes ModifiedBetaGeoFitter on the same history: "
              f"{({k: round(float(v), 4) for k, v in fitter.params_.items()})}")
    except Exception as err:
        print(f"  lifetimes fit failed here ({type(err).__name__}: {err})")


def main() -> int:
    """Run both evaluations and say whether the model beat recency on both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3000)
    args = parser.parse_args()
    synth = [(t.member, t.day, t.amount) for t in canteen(members=args.members, days=365)]
    a = evaluate("synthetic canteen", synth, START + timedelta(days=300), 30)
    cd = cdnow_rows()
    b = evaluate("CDNOW", cd, date(1997, 9, 30), 90)
    for as_of, horizon in ((date(1997, 12, 31), 180), (date(1997, 9, 30), 273)):
        evaluate("CDNOW (more splits)", cd, as_of, horizon)
    lifetimes_params(cd, date(1997, 9, 30))
    beat = a["model"] > a["recency"] and b["model"] > b["recency"]
    print(f"\nbeats recency alone on both: {'yes' if beat else 'NO'}")
    return 0 if beat else 1


if __name__ == "__main__":
    raise SystemExit(main())

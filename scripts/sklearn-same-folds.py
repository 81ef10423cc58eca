"""Score the scikit-learn reference models of the shared MODELS.md on the
very folds `cis train` used, so that the two tools are compared on the same
rows instead of on two different draws of five stratified folds.

    cis train --csv FILE --target COL ... --folds-out folds.csv
    python3 scripts/sklearn-same-folds.py SHARED_DIR SET folds.csv [MODEL ...]

SHARED_DIR is the folder that holds tools/sklearn_reference.py and data/
(next to a checkout: ../shared). SET is telco, xeducation or bank; the data
set is loaded by the reference script itself, so dropped columns and type
fixes are exactly those of MODELS.md. MODEL picks reference models by the
start of their name (default: all). Prints JSON: per model, the mean and the
per-fold ROC AUC, PR AUC, log loss and Brier score, unrounded.

Needs Debian 12's python3-sklearn and python3-pandas (the versions MODELS.md
was measured with): apt-get install python3-sklearn python3-pandas, then run
with /usr/bin/python3.
"""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    shared, name, folds_path, wanted = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    spec = importlib.util.spec_from_file_location("ref", shared / "tools" / "sklearn_reference.py")
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    ref.DATA = shared / "data"
    loaders = {"telco": ref.load_telco, "xeducation": ref.load_leads, "bank": ref.load_bank}
    if name not in loaders:
        sys.exit(f"unknown set {name!r}; want one of {sorted(loaders)}")
    X, y, num, cat = loaders[name]()
    folds = pd.read_csv(folds_path)
    if list(folds.columns) != ["row", "fold"] or len(folds) != len(X) or (folds["row"] != np.arange(len(X))).any():
        sys.exit(f"{folds_path}: want the row,fold file cis train --folds-out wrote for this data set ({len(X)} rows)")
    fold = folds["fold"].to_numpy()
    out = {"set": name, "rows": len(X), "folds": int(fold.max()), "models": {}}
    for model, (scale, factory) in ref.models(-1).items():
        if wanted and not any(model.startswith(w) for w in wanted):
            continue
        per_fold = []
        for k in range(1, fold.max() + 1):
            train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            pipe = ref.make_pipe(num, cat, scale, factory)
            pipe.fit(X.iloc[train], y[train])
            s = ref.scores(y[test], pipe.predict_proba(X.iloc[test])[:, 1])
            per_fold.append({m: float(s[m]) for m in ("roc_auc", "pr_auc", "log_loss", "brier")})
        out["models"][model] = {
            "mean": {m: float(np.mean([f[m] for f in per_fold])) for m in per_fold[0]},
            "folds": per_fold,
        }
        print(model, out["models"][model]["mean"], file=sys.stderr, flush=True)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

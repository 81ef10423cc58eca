#!/usr/bin/env bash
# Reproduces the comparison table of docs/models.md on the three public data
# sets, with the protocol of the shared MODELS.md (same dropped columns, 5
# stratified folds, seed 0). Usage:
#
#   bash scripts/models-table.sh DATA_DIR [OUT_DIR]
#
# DATA_DIR holds telco-churn/, x-education-leads/ and bank-marketing/ (in a
# checkout next to the shared folder: ../shared/data). For each set it
# writes OUT_DIR/<set>.txt (the tables; add --json to a line for every figure as JSON)
# and OUT_DIR/<set>-folds.csv (each row's fold, for scripts/sklearn-same-folds.py).
# Takes about 13 minutes on 2 quiet cores, most of it Bank Marketing.
set -euo pipefail
data=${1:?usage: models-table.sh DATA_DIR [OUT_DIR]}
out=${2:-models-table}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # go.mod asks for it; fetched from the module proxy where the machine's Go is older
go build -o "$out/cis" ./cmd/cis
run() {
	local name=$1; shift
	"$out/cis" train --folds-out "$out/$name-folds.csv" "$@" >"$out/$name.txt"
}
# Telco: customerID dropped; the 11 blank TotalCharges are missing (median-imputed).
run telco --csv "$data/telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv" --target Churn --drop customerID
# X Education: IDs and the 8 sales-team columns that leak the outcome; "Select" is missing.
run xeducation --csv "$data/x-education-leads/Leads.csv" --target Converted --missing Select \
	--drop "Prospect ID,Lead Number,Tags,Lead Quality,Last Activity,Last Notable Activity,Asymmetrique Activity Index,Asymmetrique Profile Index,Asymmetrique Activity Score,Asymmetrique Profile Score"
# Bank Marketing: duration (known only after the call). Rows are in date order: the hold-out is the newest 20 %.
run bank --csv "$data/bank-marketing/bank-additional-full.csv.gz" --target y --drop duration

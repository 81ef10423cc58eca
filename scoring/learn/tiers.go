package learn

import (
	"errors"
	"math"
	"sort"
)

// TierPolicy says how hot/warm/cold thresholds are chosen from
// out-of-fold predictions. HotShare and WarmShare are the largest shares of
// leads that may be hot and warm (defaults 0.2 and 0.3). Thresholds are
// taken at those quantiles; when the observed conversion rates of the three
// tiers are not clearly ordered (each tier's rate at least MinLift times the
// next one's, 1.25 by default), the shares are shrunk step by step; if
// that never works, the search is repeated asking only for strictly
// decreasing rates before giving up.
type TierPolicy struct {
	HotShare, WarmShare float64
	MinLift             float64
}

// ErrTiersNotOrdered is returned by TierPolicy.Choose when no thresholds
// give clearly ordered conversion rates (the model does not rank leads).
var ErrTiersNotOrdered = errors.New("tiers: no thresholds give ordered conversion rates")

// Choose returns the hot and warm thresholds for predictions p of labels y.
func (tp TierPolicy) Choose(y []int, p []float64) (hot, warm float64, err error) {
	hs, ws, lift := tp.HotShare, tp.WarmShare, tp.MinLift
	if hs == 0 {
		hs = 0.2
	}
	if ws == 0 {
		ws = 0.3
	}
	if lift == 0 {
		lift = 1.25
	}
	if hs <= 0 || ws <= 0 || hs+ws >= 1 {
		return 0, 0, errors.New("tiers: shares must be positive and sum below 1")
	}
	s := append([]float64(nil), p...)
	sort.Float64s(s)
	q := func(share float64) float64 { // smallest value of the top share
		i := int(math.Ceil(float64(len(s)) * (1 - share)))
		return s[min(max(i, 0), len(s)-1)]
	}
	for _, l := range []float64{lift, 1} {
		h, w := hs, ws
		for step := 0; step < 8; step++ {
			hot, warm = q(h), q(h+w)
			if warm < hot {
				st := TierStats(y, p, hot, warm)
				if st[0].Predicted > 0 && st[1].Predicted > 0 && st[2].Predicted > 0 &&
					st[0].Rate >= l*st[1].Rate && st[1].Rate >= l*st[2].Rate && st[0].Rate > st[2].Rate {
					return hot, warm, nil
				}
			}
			h, w = h*0.8, w*0.8
		}
	}
	return 0, 0, ErrTiersNotOrdered
}

package learn

import (
	"math"
	"sort"
)

// ROCAUC is the area under the ROC curve of scores p for labels y (1 =
// positive), with ties counted half (the Mann-Whitney statistic). It is
// NaN when y holds a single class.
func ROCAUC(y []int, p []float64) float64 {
	idx := order(p)
	var pos, neg float64
	for _, v := range y {
		if v == 1 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	// Sum of the (tie-averaged) ranks of the positives.
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j averaged
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += avg
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// PRAUC is the average precision (scikit-learn's average_precision_score):
// the sum over thresholds of precision times the recall gained.
func PRAUC(y []int, p []float64) float64 {
	idx := order(p)
	var pos float64
	for _, v := range y {
		pos += float64(v)
	}
	if pos == 0 {
		return math.NaN()
	}
	var tp, fp, ap, lastRecall float64
	for i := len(idx) - 1; i >= 0; {
		j := i
		for j >= 0 && p[idx[j]] == p[idx[i]] {
			if y[idx[j]] == 1 {
				tp++
			} else {
				fp++
			}
			j--
		}
		recall := tp / pos
		ap += (recall - lastRecall) * tp / (tp + fp)
		lastRecall = recall
		i = j
	}
	return ap
}

// LogLoss is the mean negative log-likelihood, with p clipped to
// [1e-15, 1-1e-15] as scikit-learn does.
func LogLoss(y []int, p []float64) float64 {
	var s float64
	for i, v := range y {
		q := math.Min(math.Max(p[i], 1e-15), 1-1e-15)
		if v == 1 {
			s -= math.Log(q)
		} else {
			s -= math.Log(1 - q)
		}
	}
	return s / float64(len(y))
}

// Brier is the mean squared difference between p and the label.
func Brier(y []int, p []float64) float64 {
	var s float64
	for i, v := range y {
		d := p[i] - float64(v)
		s += d * d
	}
	return s / float64(len(y))
}

// ClassStats is accuracy, precision and recall of one predicted class.
type ClassStats struct {
	Class     string  `json:"class"`
	Predicted int     `json:"predicted"`  // rows put in this class
	Positives int     `json:"positives"`  // converted rows among them
	Rate      float64 `json:"conversion"` // observed conversion rate in the class
	Precision float64 `json:"precision"`  // share of the class that belongs there (see TierStats)
	Recall    float64 `json:"recall"`
	Accuracy  float64 `json:"accuracy"` // one-vs-rest accuracy for this class
}

// TierStats scores a three-way cut: p ≥ hot is "hot", p ≥ warm "warm", the
// rest "cold". A converted row belongs in hot, a lost one in cold; warm is
// judged as "converted" for precision and recall, as the advisor still
// calls it first. Precision of hot is the share of converted rows in hot,
// recall of hot the share of all converted rows that land in hot; for cold
// both count lost rows.
func TierStats(y []int, p []float64, hot, warm float64) []ClassStats {
	names := []string{"hot", "warm", "cold"}
	var n [3]int
	var conv [3]int
	var allPos int
	for i, v := range y {
		t := 2
		if p[i] >= hot {
			t = 0
		} else if p[i] >= warm {
			t = 1
		}
		n[t]++
		conv[t] += v
		allPos += v
	}
	allNeg := len(y) - allPos
	out := make([]ClassStats, 3)
	for t := range 3 {
		cs := ClassStats{Class: names[t], Predicted: n[t], Positives: conv[t]}
		if n[t] > 0 {
			cs.Rate = float64(conv[t]) / float64(n[t])
		}
		var tp, fp, fn, tn int
		if t == 2 { // cold is right about lost rows
			tp, fp = n[2]-conv[2], conv[2]
			fn = allNeg - tp
		} else {
			tp, fp = conv[t], n[t]-conv[t]
			fn = allPos - tp
		}
		tn = len(y) - tp - fp - fn
		if tp+fp > 0 {
			cs.Precision = float64(tp) / float64(tp+fp)
		}
		if tp+fn > 0 {
			cs.Recall = float64(tp) / float64(tp+fn)
		}
		if len(y) > 0 {
			cs.Accuracy = float64(tp+tn) / float64(len(y))
		}
		out[t] = cs
	}
	return out
}

// order returns the indexes of p sorted by increasing value, ties in index order.
func order(p []float64) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	return idx
}

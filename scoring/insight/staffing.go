package insight

import "fmt"

// staffingBlock is the width, in hours, of the blocks of the day the
// staffing rule compares: wide enough to gather cases, narrow enough to
// name "the evenings" or "lunch time".
const staffingBlock = 3

// staffingHours finds the blocks of the day where promised contact
// windows are broken because few advisors are on shift: a block with at
// least least leads (and the rest of the day too) whose share of broken
// promises is at least 25 % and at least twice the rest's, while the
// advisors on shift when its leads arrived were fewer than in the rest of
// the day. Few advisors and many broken promises at the same hours is a
// staffing problem, not a slow advisor; the finding says where to add
// hours. At most two blocks, the worst first.
func staffingHours(f Facts, least int) []Finding {
	var tot blockStat
	for _, h := range f.Hours {
		tot.add(h.Leads, h.Late, h.OnShift)
	}
	var out []Finding
	for start := 0; start < 24; start += staffingBlock {
		var b blockStat
		for _, h := range f.Hours[start : start+staffingBlock] {
			b.add(h.Leads, h.Late, h.OnShift)
		}
		rest := blockStat{leads: tot.leads - b.leads, late: tot.late - b.late, staffed: tot.staffed - b.staffed}
		if b.leads < least || rest.leads < least {
			continue
		}
		share, restShare := b.share(), rest.share()
		if share < 0.25 || share < 2*restShare || b.onShift() >= rest.onShift() {
			continue
		}
		out = append(out, Finding{Level: "warn", N: b.leads, Key: "insight.staffing_hours", Args: []Arg{
			Text(clock(start)), Text(clock(start + staffingBlock)), Count(b.late), Count(b.leads), Percent(share),
			Decimal(b.onShift(), 1), Percent(restShare), Decimal(rest.onShift(), 1)}})
	}
	if len(out) > 2 {
		out = out[:2]
	}
	return out
}

// blockStat sums hours: leads, broken promises, and advisors on shift
// weighted by the leads that arrived (staffed / leads is the mean number
// on shift when a lead arrived).
type blockStat struct {
	leads, late int
	staffed     float64
}

func (b *blockStat) add(leads, late int, onShift float64) {
	b.leads += leads
	b.late += late
	b.staffed += float64(leads) * onShift
}

func (b blockStat) share() float64 {
	if b.leads == 0 {
		return 0
	}
	return float64(b.late) / float64(b.leads)
}

func (b blockStat) onShift() float64 {
	if b.leads == 0 {
		return 0
	}
	return b.staffed / float64(b.leads)
}

// clock writes an hour of the day as 18:00 (24 as 24:00, the day's end).
func clock(h int) string {
	return fmt.Sprintf("%02d:00", h)
}

package main

import (
	"fmt"
	"io"
	"strings"
)

// progressBar returns a callback that redraws a one-line bar on w (the
// terminal's standard error), so long imports and trainings show progress.
func progressBar(w io.Writer, label string) func(done, total int, step string) {
	return func(done, total int, step string) {
		if total <= 0 {
			return
		}
		const width = 30
		n := done * width / total
		fmt.Fprintf(w, "\r%s [%s%s] %3d%% %-40.40s", label, strings.Repeat("#", n), strings.Repeat(".", width-n), done*100/total, step)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

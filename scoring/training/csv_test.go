package training

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPickModels(t *testing.T) {
	tests := []struct {
		only    string
		want    []string // nil: an error
		wantAll bool
	}{
		{only: "", wantAll: true},
		{only: " logistic , forest ", want: []string{"forest", "logistic"}}, // production order, blanks dropped
		{only: "forest,bogus"},
		{only: " , "},
	}
	for _, tt := range tests {
		specs, err := PickModels(tt.only, 10)
		var got []string
		for _, s := range specs {
			got = append(got, s.Name)
		}
		switch {
		case tt.wantAll:
			if err != nil || len(got) < 2 || got[0] != "forest" {
				t.Errorf("PickModels(%q) = %v, %v; want every family, forest first", tt.only, got, err)
			}
		case tt.want == nil:
			if err == nil {
				t.Errorf("PickModels(%q) = %v; want an error", tt.only, got)
			}
		case err != nil || !slices.Equal(got, tt.want):
			t.Errorf("PickModels(%q) = %v, %v; want %v", tt.only, got, err, tt.want)
		}
	}
}

func TestWriteFolds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "folds.csv")
	if err := WriteFolds(path, [][]int{{1, 3}, {0, 2}}, 4); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "row,fold\n0,2\n1,1\n2,2\n3,1\n"; string(b) != want {
		t.Errorf("folds file %q, want %q", b, want)
	}
}

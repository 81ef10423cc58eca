package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTheExampleCatalogue(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "templates", "templates.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	follow := c.For(UseFollowUp, "es")
	if len(follow) != 2 || follow[0].Name != "seguimiento_asesor" || follow[1].Language != "en_US" {
		t.Fatalf("follow-up templates = %+v; want the Spanish one first, then the English one", follow)
	}
	if got := c.For(UseFollowUp, "en"); got[0].Language != "en_US" {
		t.Errorf("for English the English template comes first, got %s", got[0].Language)
	}
	params, preview, err := follow[0].Fill(Values{ParamName: "Carlos", ParamAdvisor: "Ana", ParamService: "diseño web"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(params, "|") != "Carlos|Ana|diseño web" || !strings.HasPrefix(preview, "Hola Carlos, soy Ana de la agencia") {
		t.Errorf("params %q preview %q", params, preview)
	}
	if _, _, err := follow[0].Fill(Values{ParamName: "Carlos"}); err == nil {
		t.Error("a template filled without the advisor's name was accepted")
	}
	if _, ok := c.Find("retomar_conversacion", "es"); !ok {
		t.Error("Find misses a listed template")
	}
}

func TestParseRefusesBadTemplates(t *testing.T) {
	ok := `"name":"a_b","language":"es","category":"utility","parameters":["name"],"text":"Hola {{1}}","uses":["follow_up"]`
	for name, tc := range map[string]struct{ body, want string }{
		"unknown field":     {`{"templates":[{` + ok + `,"colour":"red"}]}`, "unknown field"},
		"bad name":          {`{"templates":[{` + strings.Replace(ok, "a_b", "Seguimiento Asesor", 1) + `}]}`, "name"},
		"bad language":      {`{"templates":[{` + strings.Replace(ok, `"es"`, `"spanish"`, 1) + `}]}`, "language"},
		"bad category":      {`{"templates":[{` + strings.Replace(ok, "utility", "service", 1) + `}]}`, "category"},
		"placeholder count": {`{"templates":[{` + strings.Replace(ok, "Hola {{1}}", "Hola {{1}} {{2}}", 1) + `}]}`, "placeholders"},
		"unknown source":    {`{"templates":[{` + strings.Replace(ok, `["name"]`, `["email"]`, 1) + `}]}`, "parameter"},
		"unknown use":       {`{"templates":[{` + strings.Replace(ok, "follow_up", "spam", 1) + `}]}`, "use"},
		"advisor in a job":  {`{"templates":[{` + strings.NewReplacer(`["name"]`, `["advisor"]`, "follow_up", "reengage").Replace(ok) + `}]}`, "advisor"},
		"listed twice":      {`{"templates":[{` + ok + `},{` + ok + `}]}`, "twice"},
		"no text":           {`{"templates":[{` + strings.Replace(ok, "Hola {{1}}", " ", 1) + `}]}`, "text"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want one naming %q", err, tc.want)
			}
		})
	}
}

package dashboard

import (
	"strings"
	"testing"

	"github.com/cis-agencia/cis/scoring/insight"
)

// TestInsightFindingsWorded: scoring/insight returns keys and numbers; the
// dashboard words them in each language, numbers as the reader writes
// them. Every sentence key the rules use exists in both languages, with as
// many %s as its arguments.
func TestInsightFindingsWorded(t *testing.T) {
	tests := []struct {
		f      insight.Finding
		es, en string
	}{
		{insight.Finding{Key: "insight.group_conversion.above", Args: []insight.Arg{insight.Word("insight.dim_title.city"), insight.Text("Medellín"),
			insight.Percent(0.3), insight.Percent(0.22), insight.Percent(0.38), insight.Count(1400), insight.Percent(0.1), insight.Count(5600)}},
			"Ciudad «Medellín» convierte por encima del promedio: 30,0 % (IC 95 % 22,0 %–38,0 %, 1.400 leads en 12 meses) frente a 10,0 % del resto (5.600 leads).",
			"City “Medellín” converts above average: 30.0 % (95 % CI 22.0 %–38.0 %, 1,400 leads in 12 months) against 10.0 % for the rest (5,600 leads)."},
		{insight.Finding{Key: "insight.group_conversion.below", Args: []insight.Arg{insight.Word("insight.dim_title.service"), insight.Text("web"),
			insight.Percent(0.1), insight.Percent(0.05), insight.Percent(0.15), insight.Count(200), insight.Percent(0.3), insight.Count(300)}},
			"Servicio «web» convierte por debajo del promedio", "Service “web” converts below average"},
		{insight.Finding{Key: "insight.campaign_loses", Args: []insight.Arg{insight.Text("Facebook marzo"), insight.Pesos(5_000_000),
			insight.Count(30), insight.Pesos(1_000_000), insight.Count(1), insight.Percent(-0.8)}},
			"La campaña «Facebook marzo» pierde dinero: gastó $5.000.000 y sus 30 leads trajeron $1.000.000 de ingresos con 1 clientes (ROI -80,0 %).",
			"Campaign “Facebook marzo” loses money: it spent $5,000,000"},
		{insight.Finding{Key: "insight.sla_breaches", Args: []insight.Arg{insight.Text("2026-03-16"), insight.Count(10), insight.Count(20),
			insight.Word("insight.class.hot"), insight.Percent(0.5), insight.Count(10), insight.Count(0)}},
			"10 de 20 leads calientes (50,0 %) no se contactaron a tiempo", "10 of 20 hot leads (50.0 %) were not contacted in time"},
		{insight.Finding{Key: "insight.drift", Args: []insight.Arg{insight.Text("2026-03"), insight.Word("insight.dim.service"),
			insight.Decimal(1.76, 2), insight.Count(200), insight.Text("web"), insight.Percent(0.1), insight.Percent(0.9)}},
			"en servicio (PSI 1,76 sobre 200 leads): «web» pasó de 10,0 % a 90,0 %", "in service (PSI 1.76 over 200 leads)"},
		{insight.Finding{Key: "insight.live_model_drop", Args: []insight.Arg{insight.Decimal(0.6, 3), insight.Count(150), insight.Text("2026-02"), insight.Decimal(0.75, 3)}},
			"ROC AUC 0,600 en 150 leads cerrados desde 2026-02, frente a 0,750", "ROC AUC 0.600 on 150 closed leads since 2026-02, against 0.750"},
		{insight.Finding{Key: "insight.churn_revenue_at_risk", Args: []insight.Arg{insight.Count(3), insight.Count(20), insight.Percent(0.5), insight.Pesos(4_500_000)}},
			"3 de 20 clientes activos tienen un riesgo de cancelar de 50,0 % o más en 30 días; pagan $4.500.000 al mes.",
			"they pay $4,500,000 a month."},
	}
	for _, tt := range tests {
		t.Run(tt.f.Key, func(t *testing.T) {
			es, en := findingText("es", tt.f), findingText("en", tt.f)
			if !strings.Contains(es, tt.es) || !strings.Contains(en, tt.en) {
				t.Errorf("es %q\nen %q\nwant %q and %q", es, en, tt.es, tt.en)
			}
			for _, lang := range []string{"es", "en"} {
				if n := strings.Count(strings.ReplaceAll(T(lang, tt.f.Key), "%%", ""), "%s"); n != len(tt.f.Args) {
					t.Errorf("language %s: %d %%s for %d arguments", lang, n, len(tt.f.Args))
				}
			}
		})
	}
	unknown := findingText("es", insight.Finding{Key: "insight.new_rule", Args: []insight.Arg{insight.Count(1200)}})
	if unknown != "insight.new_rule: 1.200" {
		t.Errorf("a rule without a sentence = %q; want its key and values", unknown)
	}
}

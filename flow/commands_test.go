package flow

import "testing"

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want command
	}{
		{"reiniciar", cmdRestart}, {"Reiniciar", cmdRestart}, {"REINICIAR!", cmdRestart}, {"empezar de nuevo", cmdRestart},
		{"Empezar de nuevo.", cmdRestart}, {"volver a empezar", cmdRestart}, {"restart", cmdRestart}, {"start over", cmdRestart},
		{"atrás", cmdBack}, {"atras", cmdBack}, {"ATRÁS", cmdBack}, {"volver", cmdBack}, {"back", cmdBack}, {"regresar", cmdBack},
		{"ayuda", cmdHelp}, {"Ayuda!", cmdHelp}, {"help", cmdHelp}, {"?", cmdHelp}, {"menú", cmdHelp},
		{"asesor", cmdHandoff}, {"Asesor", cmdHandoff}, {"hablar con una persona", cmdHandoff}, {"Hablar con un asesor", cmdHandoff},
		{"humano", cmdHandoff}, {"human", cmdHandoff}, {"advisor", cmdHandoff},
		{"salir", cmdOptOut}, {"SALIR", cmdOptOut}, {"stop", cmdOptOut}, {"STOP", cmdOptOut}, {"no me escriban", cmdOptOut},
		{"No me escriban más", cmdOptOut}, {"no más", cmdOptOut}, {"no mas", cmdOptOut}, {"unsubscribe", cmdOptOut},
		{"mis datos", cmdAccess}, {"Mis datos", cmdAccess}, {"my data", cmdAccess},
		{"corregir", cmdCorrect}, {"Corregir mis datos", cmdCorrect},
		{"borrar mis datos", cmdDelete}, {"Borrar mis datos", cmdDelete}, {"eliminar mis datos", cmdDelete}, {"delete my data", cmdDelete},
		// Not commands: the whole-message rule.
		{"me llamo Salir", cmdNone}, {"Salir Gómez", cmdNone}, {"quiero salir en google", cmdNone}, {"no", cmdNone},
		{"necesito ayuda con mi página", cmdNone}, {"soy asesor comercial", cmdNone}, {"stop motion", cmdNone}, {"", cmdNone},
		{"hola", cmdNone}, {"atrás de la iglesia", cmdNone},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseCommand(tt.in); got != tt.want {
				t.Errorf("parseCommand(%q) = %v; want %v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"salir", "Sí", "no", "borrar mis datos", "?", "\u202esalir", "ＳＡＬＩＲ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := parseCommand(s)
		if c < cmdNone || c > cmdSpanish {
			t.Fatalf("parseCommand(%q) = %v", s, c)
		}
		if yes, ok := yesNo(s); yes && !ok {
			t.Fatalf("yesNo(%q) said yes without ok", s)
		}
	})
}

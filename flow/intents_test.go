package flow

import "testing"

// TestSentenceIntent tests the rule for intents inside sentences both
// ways: what asks for a person, a restart, an opt-out or a language, and
// what the whole-message rule protects and must stay an answer.
func TestSentenceIntent(t *testing.T) {
	tests := []struct {
		in   string
		want command
	}{
		// A person.
		{"mejor quiero hablar con una persona", cmdHandoff},
		{"¿me pasas con un asesor por favor?", cmdHandoff},
		{"quiero un asesor", cmdHandoff},
		{"prefiero que me atienda una persona real", cmdHandoff},
		{"oiga, quiero hablar con alguien ya", cmdHandoff},
		{"Can I talk to a real person?", cmdHandoff},
		{"I'd like to speak to an advisor", cmdHandoff},
		// A restart, an opt-out, a language.
		{"me equivoqué en todo, quiero empezar de nuevo", cmdRestart},
		{"let's start over", cmdRestart},
		{"por favor no me escriban más", cmdOptOut},
		{"ya no me interesa, dejen de escribirme", cmdOptOut},
		{"Please stop texting me", cmdOptOut},
		{"sorry, do you speak English?", cmdEnglish},
		{"hablemos en español por favor", cmdSpanish},
		// Data rights.
		{"por favor borren mis datos", cmdDelete},
		{"ya no me interesa, borra mis datos", cmdDelete},
		{"Please delete my data", cmdDelete},
		{"¿qué datos tienen de mí?", cmdAccess},
		{"no borren mis datos, sigo interesado", cmdNone},
		// Protected: answers that use the words.
		{"me llamo Salir", cmdNone},
		{"Salir Gómez", cmdNone},
		{"quiero salir en google", cmdNone},
		{"no", cmdNone},
		{"necesito ayuda con mi página", cmdNone},
		{"soy asesor comercial", cmdNone},
		{"necesito una persona que me maneje las redes", cmdNone},
		{"quiero que alguien me haga el logo", cmdNone},
		{"no quiero hablar con un asesor, sigamos", cmdNone},
		{"no quiero empezar de nuevo, son 2 millones", cmdNone},
		{"sorry, I don't speak Spanish", cmdNone},
		{"stop motion videos", cmdNone},
		{"una página en inglés y español", cmdNone},
		{"no entiendo", cmdNone}, // help: see TestHelpAsked
	}
	for _, tt := range tests {
		if got := sentenceIntent(splitMsg(tt.in)); got != tt.want {
			t.Errorf("sentenceIntent(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestHelpAsked(t *testing.T) {
	for in, want := range map[string]bool{
		"no entiendo": true, "no entiendo qué debo responder": true, "¿qué tengo que poner?": true,
		"I don't understand": true, "necesito ayuda con mi página": false, "ayuda": false, "2 millones": false,
	} {
		if got := helpAsked(splitMsg(in)); got != want {
			t.Errorf("helpAsked(%q) = %v; want %v", in, got, want)
		}
	}
}

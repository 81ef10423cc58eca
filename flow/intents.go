package flow

// Intents inside sentences. A global command (commands.go) counts only when
// it is the whole message; that rule protects a person named Salir ("me llamo
// Salir"), an answer that uses a command word ("quiero salir en Google" is
// SEO, "necesito ayuda con mi página" is web design) and "no" as an answer.
// People also ask for a person, for help, to start again or to stop inside a
// sentence ("mejor quiero hablar con una persona"), so these four are also
// read inside a sentence, by a narrower rule that keeps those protections
// (with the data-rights requests):
//
//   - only the phrases below count, never a single command word: "salir",
//     "stop", "ayuda", "no", "atrás", "menú" inside a sentence stay words;
//   - a person is asked for with a verb of contact or wish before a word for
//     a person in the same clause ("quiero hablar con un asesor", "me
//     pasas con una persona", "I'd like to talk to a human"), not when the
//     verb is negated ("no quiero hablar con un asesor, sigamos");
//   - help is asked for with words of confusion ("no entiendo", "¿qué
//     tengo que responder?"), and only when the message answers nothing;
//   - a restart is asked for with "empezar de nuevo", "start over" …, not
//     negated; an opt-out with "no me escriban más", "dejen de escribirme",
//     "stop texting me" …;
//   - "hablame en inglés", "in Spanish please" … switch the language;
//   - a deletion ("por favor borren mis datos") or access to one's data
//     ("¿qué datos tienen de mí?"), not negated ("no borren mis datos").

// intentPhrases are the phrases of the sentence intents, folded.
var intentPhrases = map[int][]string{
	int(cmdRestart): {
		"empezar de nuevo", "empezar de cero", "empezar otra vez", "empecemos de nuevo", "empecemos otra vez",
		"empecemos de cero", "volver a empezar", "volvamos a empezar", "comenzar de nuevo", "comenzar de cero",
		"comencemos de nuevo", "iniciar de nuevo", "reiniciar", "reiniciemos", "reinicia", "start over",
		"start again", "begin again", "restart",
	},
	int(cmdOptOut): {
		"no me escriban", "no me escriba", "no me escribas", "no me vuelvan a escribir", "no me vuelvas a escribir",
		"no me vuelva a escribir", "dejen de escribirme", "deja de escribirme", "deje de escribirme",
		"dejen de escribir", "no quiero recibir mas mensajes", "no quiero recibir mensajes", "no quiero mas mensajes",
		"no me manden mas mensajes", "no me manden mensajes", "no me envien mas", "no me contacten",
		"no me contacten mas", "borrenme de su lista", "borrenme de la lista", "sacame de la lista",
		"sacame de su lista", "saquenme de la lista", "quiero salir de la lista",
		"darme de baja", "dejenme en paz", "dejame en paz", "stop texting me", "stop messaging me",
		"stop writing me", "stop writing to me", "stop contacting me", "don t text me", "dont text me",
		"don t message me", "dont message me", "do not contact me", "don t contact me", "dont contact me",
		"unsubscribe me", "remove me from your list", "leave me alone",
	},
	// Data rights asked inside a sentence (the whole-message commands
	// "borrar mis datos", "mis datos" are in commands.go).
	int(cmdDelete): {
		"borra mis datos", "borre mis datos", "borren mis datos", "borrar mis datos", "borrame mis datos",
		"borrenme los datos", "elimina mis datos", "elimine mis datos", "eliminen mis datos", "eliminar mis datos",
		"borren mi informacion", "borren toda mi informacion", "eliminen mi informacion", "borren mi numero",
		"eliminen mi numero", "delete my data", "delete my information", "erase my data", "remove my data",
	},
	int(cmdAccess): {
		"que datos tienen de mi", "que datos tienen mios", "que informacion tienen de mi", "quiero ver mis datos",
		"what data do you have on me", "what data do you have about me",
	},
	int(cmdHelp): {
		"no entiendo", "no entendi", "no le entiendo", "no te entiendo", "no les entiendo", "no comprendo",
		"que debo responder", "que debo poner", "que debo escribir", "que tengo que responder",
		"que tengo que poner", "que tengo que escribir", "que le pongo", "que pongo", "que respondo",
		"que escribo", "no se que responder", "no se que poner", "no se que escribir", "como funciona esto",
		"como funciona", "como asi", "i don t understand", "i dont understand", "i do not understand",
		"what should i answer", "what should i write", "what do i write", "what do i answer",
		"what do you mean", "how does this work",
	},
	int(cmdEnglish): {
		"speak english", "speak in english", "talk in english", "write in english", "in english please",
		"english please", "hablas ingles", "habla ingles", "hablan ingles", "hablame en ingles",
		"hablemos en ingles", "escribeme en ingles", "en ingles por favor", "prefiero en ingles",
		"prefiero ingles", "puedes hablar en ingles", "pueden hablar en ingles",
	},
	int(cmdSpanish): {
		"speak spanish", "speak in spanish", "talk in spanish", "write in spanish", "in spanish please",
		"spanish please", "hablame en espanol", "hablemos en espanol", "escribeme en espanol",
		"en espanol por favor", "prefiero en espanol", "prefiero espanol", "hablas espanol", "habla espanol",
	},
}

var intentTable = newPhraseTable(intentPhrases)

// handoffVerbs and handoffPersons make a request for a person (see above).
var (
	handoffVerbs = newWordSet("hablar", "hablo", "hable", "comunicarme", "comunicar", "comunica", "comunican",
		"comuniquen", "comunique", "pasa", "pasas", "pasame", "paseme", "pasan", "pasenme", "pase", "atienda",
		"atiendan", "atender", "conectar", "conectarme", "chatear", "escriba", "talk", "speak", "chat",
		"connect", "transfer", "put")
	// handoffWishes ask for a person only when the person ends the clause:
	// "quiero un asesor", not "quiero una persona que me maneje las redes".
	handoffWishes = newWordSet("quiero", "quisiera", "necesito", "prefiero", "preferiria", "mejor", "want",
		"need", "prefer", "get")
	handoffTrail = newWordSet("por", "favor", "porfa", "porfavor", "please", "pls", "real", "humano", "humana",
		"de", "verdad", "now", "ya", "gracias")
	handoffPersons = newWordSet("asesor", "asesora", "asesores", "persona", "humano", "humana", "agente",
		"vendedor", "vendedora", "comercial", "operador", "operadora", "alguien", "advisor", "agent", "human", "person",
		"someone", "somebody", "representative", "rep", "operator")
	intentNegations = newWordSet("no", "nunca", "tampoco", "don", "dont", "not", "never", "sin")
)

// sentenceIntent returns the intent a sentence carries, or cmdNone. Help
// is reported separately (helpAsked): it yields to an answer.
func sentenceIntent(m *msg) command {
	for _, h := range intentTable.find(m.words) {
		c := command(h.val)
		if c == cmdHelp || (c != cmdOptOut && negatedBefore(m.words, h.at)) { // "I don't speak Spanish"
			continue
		}
		return c
	}
	if asksForPerson(m) {
		return cmdHandoff
	}
	return cmdNone
}

// helpAsked reports words of confusion.
func helpAsked(m *msg) bool {
	for _, h := range intentTable.find(m.words) {
		if command(h.val) == cmdHelp {
			return true
		}
	}
	return false
}

// asksForPerson applies the verb-before-person rule within a clause.
func asksForPerson(m *msg) bool {
	for i, w := range m.words {
		if !handoffPersons[w] {
			continue
		}
		for j := i - 1; j >= 0 && j >= i-5 && m.clause[j] == m.clause[i]; j-- {
			if handoffVerbs[m.words[j]] || (handoffWishes[m.words[j]] && endsClause(m, i)) {
				return !negatedBefore(m.words, j)
			}
		}
	}
	return false
}

// endsClause reports whether only courtesy words follow words[i] in its
// clause.
func endsClause(m *msg, i int) bool {
	for j := i + 1; j < len(m.words) && m.clause[j] == m.clause[i]; j++ {
		if !handoffTrail[m.words[j]] {
			return false
		}
	}
	return true
}

// negatedBefore reports a negation among the two words before words[i].
func negatedBefore(words []string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-2; j-- {
		if intentNegations[words[j]] {
			return true
		}
	}
	return false
}

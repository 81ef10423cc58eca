package flow

// consentForms is the one list of answers that count as an explicit yes or
// no: to the data-processing consent (Ley 1581 de 2012 asks for express
// authorisation) and to the bot's other yes/no questions. README.md ("The
// conversation", consent) documents it and TestYesNo tests it both ways; a
// change here is a change to what counts as consent, so it goes in both.
//
// How a message is read (yesNoOf):
//   - a hedge anywhere ("no sé", "tal vez", "pero", "depende") makes it
//     unclear: "sí pero no", "bueno, no sé";
//   - Accept forms count anywhere in a sentence unless negated ("bueno,
//     acepto", "sí, claro, autorizo el tratamiento"; "no acepto" is a no);
//   - Yes and Casual forms count when the answer opens with them, after a
//     greeting at most ("sí, soy Laura de Cali", "ok dale", "hola, de una");
//     a Casual form followed by a question ("bueno, ¿y qué hacen con mis
//     datos?") is not a yes;
//   - No forms count when the answer opens with them, Refuse forms
//     anywhere; "no" never counts inside a sentence ("creo que no sé");
//   - a yes and a no in one answer is unclear, and so is anything else,
//     an emoji alone included: the bot asks once more, briefly.
var consentForms = struct {
	Accept, Yes, Casual, Refuse, No, Hedge []string
}{
	Accept: []string{
		"acepto", "si acepto", "lo acepto", "autorizo", "si autorizo", "lo autorizo", "los autorizo",
		"doy mi autorizacion", "doy la autorizacion", "doy mi consentimiento", "estoy de acuerdo",
		"de acuerdo", "si estoy de acuerdo", "acepto y autorizo", "acepto los terminos", "acepto terminos",
		"i agree", "i accept", "i consent", "i authorize", "i authorise", "i give my consent", "agreed",
		"yes i agree", "yes i accept", "accept", "agree",
	},
	Yes: []string{
		"si", "sii", "siii", "siiii", "sip", "sis", "sisas", "si senor", "si senora", "si senorita",
		"si claro", "claro que si", "si claro que si", "si de una", "si dale", "dale si", "si listo",
		"si por favor", "si porfa", "si gracias", "si con gusto", "por supuesto", "por supuesto que si",
		"afirmativo", "correcto", "si soy mayor de edad", "soy mayor de edad",
		"yes", "yess", "yes please", "yeah", "yea", "yep", "yup", "of course", "absolutely",
	},
	Casual: []string{
		"ok", "okey", "okei", "oki", "okis", "okay", "okk", "k", "oka", "dale", "dale pues", "listo",
		"listo pues", "bueno", "bueno pues", "va", "vale", "claro", "claro pues", "de una",
		"de una pues", "hagale", "hagale pues", "hagamosle", "con gusto", "con mucho gusto", "perfecto",
		"obvio", "melo", "super", "sale", "no hay problema", "no hay lio", "sin problema",
		"sure", "fine", "alright", "all right", "go ahead", "sounds good", "no problem", "why not",
	},
	Refuse: []string{
		"no acepto", "no lo acepto", "no autorizo", "no lo autorizo", "no los autorizo",
		"no estoy de acuerdo", "no doy mi autorizacion", "no doy mi consentimiento", "no quiero dar mis datos",
		"i do not agree", "i don t agree", "i dont agree", "i do not accept", "i don t accept",
		"i dont accept", "i decline", "i disagree", "i do not consent", "i don t consent",
	},
	No: []string{
		"no", "nop", "nope", "nel", "nones", "no gracias", "no senor", "no senora", "no quiero",
		"no me interesa", "mejor no", "claro que no", "para nada", "negativo", "ni loco", "ni loca",
		"ni de riesgos", "no thanks", "no thank you", "nah", "no way", "decline", "disagree",
	},
	Hedge: []string{
		"no se", "nose", "no lo se", "tal vez", "talvez", "quizas", "quiza", "depende", "pero",
		"aunque", "no estoy seguro", "no estoy segura", "todavia no se", "aun no se", "mas tarde",
		"despues te digo", "ya te digo", "lo pienso", "dejame pensarlo", "dejeme pensarlo",
		"no entiendo", "no entendi", "no comprendo", "no me queda claro", "no le entiendo", "no te entiendo",
		"maybe", "but", "not sure", "i don t know", "i dont know", "later", "let me think",
	},
}

// Values of yesNoTable.
const (
	ynAccept = iota
	ynYes
	ynCasual
	ynRefuse
	ynNo
	ynHedge
)

var yesNoTable = newPhraseTable(map[int][]string{
	ynAccept: consentForms.Accept, ynYes: consentForms.Yes, ynCasual: consentForms.Casual,
	ynRefuse: consentForms.Refuse, ynNo: consentForms.No, ynHedge: consentForms.Hedge,
})

// yesNoOpeners may come before the answer without changing it.
var yesNoOpeners = newWordSet("hola", "holi", "buenas", "buenos", "buen", "dia", "dias", "tardes", "noches",
	"pues", "ah", "ahh", "ay", "eh", "oh", "uy", "jaja", "jajaja", "oye", "hey", "hi", "hello", "well",
	"gracias", "muchas", "thanks", "thank", "you", "la", "verdad", "mmm", "mm", "hmm", "bien")

// yesNo reads an explicit yes or no. ok is false for anything else: the
// consent is never assumed from silence, an emoji or an unrelated answer.
func yesNo(text string) (yes, ok bool) {
	return yesNoOf(splitMsg(text))
}

// yesNoOf is yesNo on a split message; see consentForms for the rules.
func yesNoOf(m *msg) (yes, ok bool) {
	hits := yesNoTable.find(m.words)
	open := openerEnd(m.words)
	var accept, yesAtOpen, casualAtOpen, refuse, noAtOpen bool
	for _, h := range hits {
		atOpen := h.at == open
		switch h.val {
		case ynHedge:
			return false, false
		case ynAccept:
			accept = true
		case ynYes:
			yesAtOpen = yesAtOpen || atOpen
		case ynCasual:
			casualAtOpen = casualAtOpen || atOpen
		case ynRefuse:
			refuse = true
		case ynNo:
			noAtOpen = noAtOpen || atOpen
		}
	}
	saidYes := accept || yesAtOpen || (casualAtOpen && !m.question)
	saidNo := refuse || noAtOpen
	if saidYes == saidNo {
		return false, false
	}
	return saidYes, true
}

// openerEnd is the index of the first word that is not a greeting or
// filler.
func openerEnd(words []string) int {
	for i, w := range words {
		if !yesNoOpeners[w] {
			return i
		}
	}
	return len(words)
}

package flow

import "github.com/cis-agencia/cis/flow/fold"

// After completion. Every message is kept for the advisor
// (EventAfterCompletion). The bot answers:
//   - small talk ("gracias!!", "listo 👍", "chao") with a short friendly line
//     in the same tú as the questions, at most afterChats times in all, so
//     two polite people do not thank each other forever;
//   - "¿ya me van a llamar?" with the promised time while it has not come,
//     and, once it has passed, with an apology, an honest new time (the
//     shortest window, counted in business hours) and EventAskedForCall, so
//     that the queue shows the advisor that the prospect asked;
//   - anything else once, with the promised time; the advisor reads the rest.

const afterChats = 3

// Kinds of message after completion.
const (
	afterOther = iota
	afterWhen
	afterThanks
	afterAck
	afterHello
	afterBye
)

var afterPhrases = newPhraseTable(map[int][]string{
	afterWhen: {
		"ya me van a llamar", "me van a llamar", "me van a contactar", "me van a escribir", "cuando me llaman",
		"cuando me llama", "cuando me van a llamar", "cuando me contactan", "cuando me escriben",
		"a que hora me llaman", "a que hora me llama", "a que horas me llaman", "me llamaron", "no me han llamado",
		"nadie me ha llamado", "no me ha llamado nadie", "nadie me ha escrito", "no me han escrito",
		"no me han contactado", "todavia nada", "aun nada", "sigo esperando", "estoy esperando", "cuanto falta",
		"cuanto se demoran", "que paso con la llamada", "y la llamada", "y el asesor", "el asesor me va a llamar",
		"when will you call", "when will someone call", "when are you calling", "still waiting",
		"nobody called", "no one called", "no one has called", "nobody has called", "is someone going to call",
		"are you going to call", "any news",
	},
	afterThanks: {
		"gracias", "muchas gracias", "mil gracias", "muchisimas gracias", "thanks", "thank you", "ty",
		"dios le pague", "dios te bendiga", "dios les bendiga", "bendiciones", "muy amable", "que amable",
		"many thanks", "thanks a lot",
	},
	afterAck: {
		"ok", "okey", "oki", "okay", "listo", "dale", "perfecto", "vale", "super", "genial", "chevere", "bueno",
		"de una", "bacano", "entendido", "quedo atento", "quedo atenta", "quedo pendiente", "estare pendiente",
		"great", "perfect", "cool", "got it", "sounds good", "good",
	},
	afterHello: {"hola", "holi", "buenas", "buenos dias", "buenas tardes", "buenas noches", "hi", "hello", "hey"},
	afterBye: {
		"chao", "adios", "hasta luego", "hasta pronto", "nos vemos", "feliz dia", "feliz tarde", "buen dia",
		"buena tarde", "bye", "see you", "have a nice day",
	},
})

// afterFiller may come with small talk without making it a message.
var afterFiller = newWordSet("y", "pues", "a", "ti", "usted", "ustedes", "muy", "bien", "todo", "jaja", "jajaja",
	"señor", "senor", "senora", "senorita", "amigo", "amiga", "you", "too", "so", "much", "very", "mil", "por",
	"todo", "tu", "su", "ayuda", "the", "help", "entonces", "quedo", "atento", "atenta")

// afterKind classifies a message after completion. Small talk is a
// message made of small-talk phrases only (an emoji alone is an
// acknowledgement); a question when the call comes may sit anywhere.
func afterKind(m *msg, first string) int {
	if len(m.words) == 0 {
		if m.symbols {
			return afterAck
		}
		return afterOther
	}
	hits := afterPhrases.find(m.words)
	kind, covered := afterOther, 0
	for _, h := range hits {
		if h.val == afterWhen {
			return afterWhen
		}
		if kind == afterOther || h.val == afterThanks {
			kind = h.val
		}
		covered += h.n
	}
	for _, w := range m.words {
		if afterFiller[w] || w == first {
			covered++
		}
	}
	if covered < len(m.words) {
		return afterOther
	}
	return kind
}

func (t *turn) afterCompletion(cmd command) {
	if cmd != cmdNone && cmd != cmdHelp && cmd != cmdBack {
		t.command(cmd)
		return
	}
	t.emit(Event{Kind: EventAfterCompletion})
	first := firstName(t.s.Answers.Name)
	kind := afterOther
	if t.isText() {
		kind = afterKind(t.words(), fold.String(first))
	}
	late := !t.now.Before(t.s.Deadline)
	switch {
	case kind == afterWhen || (kind == afterHello && late):
		t.callStatus(first, late)
	case kind != afterOther:
		if t.s.Chats < afterChats {
			t.s.Chats++
			t.say(afterKeys[kind], "first_name", first, "promise", t.promise(t.s.Deadline))
		}
	case !t.s.Reminded:
		t.s.Reminded = true
		if late {
			t.callStatus(first, late)
			return
		}
		t.say("after_done", "first_name", first, "promise", t.promise(t.s.Deadline))
	}
}

var afterKeys = map[int]string{afterThanks: "chat_thanks", afterAck: "chat_ack", afterHello: "chat_hello", afterBye: "chat_bye"}

// callStatus answers "¿ya me van a llamar?": the time promised while it has
// not come; past it, an apology and a new time, and the advisor is alerted.
func (t *turn) callStatus(first string, late bool) {
	if !late {
		t.say("call_when", "first_name", first, "promise", t.promise(t.s.Deadline))
		return
	}
	cal := t.m.cfg.Calendar
	window := t.m.cfg.Windows.Hot
	deadline := cal.Deadline(t.now, window).UTC()
	if st := t.s.Contact.Staffing; st != nil { // the new time, too, counts from when an advisor can call
		if d := st.Deadline(t.now, t.askedLead(), t.askedClass(), window); d.After(deadline) {
			deadline = d.UTC()
		}
	}
	t.s.Deadline = deadline
	t.emit(Event{Kind: EventAskedForCall, Deadline: deadline})
	if deadline.Sub(t.now) != window {
		window = 0 // the business clock pauses before the new time: name it
	}
	t.say("call_late", "first_name", first, "promise", Promise(t.now, deadline, window, cal.Loc, t.s.Lang))
}

// askedLead is what the staffing needs of a completed lead whose person
// asks for the call: its service and city, from the answers kept.
func (t *turn) askedLead() Lead {
	l := Lead{Service: t.s.Answers.Service}
	if t.s.Answers.City != nil {
		l.City = *t.s.Answers.City
	}
	return l
}

// askedClass is the lead's class (hot when it was never scored).
func (t *turn) askedClass() Class {
	if t.s.Score != nil {
		return t.s.Score.Class
	}
	return Hot
}

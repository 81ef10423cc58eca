package flow

import "strings"

// command is a global instruction a prospect can give at any step.
type command int

const (
	cmdNone command = iota
	cmdRestart
	cmdBack
	cmdHelp
	cmdHandoff
	cmdOptOut
	cmdAccess
	cmdCorrect
	cmdDelete
	cmdEnglish // answer in English from now on
	cmdSpanish
)

// commandPhrases are matched against the whole folded message only. This is
// the rule that lets a person named "Salir" give their name: "Salir" alone
// is the opt-out command, "me llamo Salir" or "Salir Gómez" is a name. The
// same rule keeps "no" an answer (to the consent question) and not a command.
var commandPhrases = map[string]command{
	"reiniciar": cmdRestart, "empezar de nuevo": cmdRestart, "volver a empezar": cmdRestart,
	"comenzar de nuevo": cmdRestart, "reinicio": cmdRestart, "restart": cmdRestart, "start over": cmdRestart,

	"atras": cmdBack, "volver": cmdBack, "regresar": cmdBack, "anterior": cmdBack, "back": cmdBack, "go back": cmdBack,

	"ayuda": cmdHelp, "help": cmdHelp, "menu": cmdHelp, "comandos": cmdHelp, "?": cmdHelp,

	"asesor": cmdHandoff, "un asesor": cmdHandoff, "hablar con un asesor": cmdHandoff, "hablar con una persona": cmdHandoff,
	"hablar con alguien": cmdHandoff, "persona": cmdHandoff, "humano": cmdHandoff, "quiero hablar con un asesor": cmdHandoff,
	"advisor": cmdHandoff, "agent": cmdHandoff, "human": cmdHandoff, "talk to a person": cmdHandoff,

	"salir": cmdOptOut, "stop": cmdOptOut, "no me escriban": cmdOptOut, "no me escriban mas": cmdOptOut,
	"no mas": cmdOptOut, "no quiero mas mensajes": cmdOptOut, "cancelar suscripcion": cmdOptOut,
	"basta": cmdOptOut, "unsubscribe": cmdOptOut, "stop messages": cmdOptOut,

	"mis datos": cmdAccess, "ver mis datos": cmdAccess, "my data": cmdAccess,
	"corregir": cmdCorrect, "corregir mis datos": cmdCorrect, "correct": cmdCorrect, "correct my data": cmdCorrect,
	"borrar mis datos": cmdDelete, "eliminar mis datos": cmdDelete, "borrar datos": cmdDelete, "delete my data": cmdDelete,

	"english": cmdEnglish, "in english": cmdEnglish, "ingles": cmdEnglish, "en ingles": cmdEnglish,
	"spanish": cmdSpanish, "in spanish": cmdSpanish, "espanol": cmdSpanish, "en espanol": cmdSpanish,
}

// parseCommand returns the command the whole message is, or cmdNone.
func parseCommand(text string) command {
	t := fold(text)
	if t == "" {
		t = strings.TrimSpace(text) // "?" folds to nothing
	}
	return commandPhrases[t]
}

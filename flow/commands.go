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
}

// parseCommand returns the command the whole message is, or cmdNone.
func parseCommand(text string) command {
	t := fold(text)
	if t == "" {
		t = strings.TrimSpace(text) // "?" folds to nothing
	}
	return commandPhrases[t]
}

// yesNo reads an explicit yes or no. ok is false for anything else: consent
// is never assumed from "ok", silence or an unrelated answer (Ley 1581:
// express authorisation).
func yesNo(text string) (yes, ok bool) {
	t := fold(text)
	switch t {
	case "si", "sii", "siii", "si acepto", "acepto", "si autorizo", "autorizo", "si claro", "claro que si",
		"si senor", "de acuerdo", "estoy de acuerdo", "si de acuerdo", "dale si", "si dale",
		"yes", "y", "i agree", "i accept", "yes i agree", "yes i accept", "si soy mayor de edad", "si acepto y soy mayor de edad":
		return true, true
	case "no", "nop", "no acepto", "no autorizo", "no gracias", "no senor", "n", "no i dont", "i dont agree", "i do not agree":
		return false, true
	}
	return false, false
}

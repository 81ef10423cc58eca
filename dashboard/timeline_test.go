package dashboard

import (
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// TestTimelineKeepsVoiceAndReactions: the lead page's history words each
// kind of inbound message: a voice note keeps its transcript (the words the
// prospect said, which may be the answers the lead is made of) and a
// reaction its emoji; a voice note nobody transcribed, or other media, is
// named by its kind, in Spanish and in English, never left blank.
func TestTimelineKeepsVoiceAndReactions(t *testing.T) {
	at := time.Date(2026, 11, 13, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		kind, body, lang, want string
	}{
		{"audio", "me llamo Carlos y estoy en Cali", "es", "🎤 Nota de voz, transcrita: «me llamo Carlos y estoy en Cali»"},
		{"audio", "my name is Ann", "en", "🎤 Voice note, transcribed: «my name is Ann»"},
		{"audio", "", "es", "[nota de voz]"},
		{"audio", "", "en", "[voice note]"},
		{"reaction", "👍", "es", "Reaccionó con 👍"},
		{"reaction", "❤️", "en", "Reacted with ❤️"},
		{"reaction", "", "es", "[reacción]"},
		{"image", "", "es", "[imagen]"},
		{"sticker", "", "en", "[sticker]"},
		{"poll", "", "es", "[mensaje que no es texto]"},
		{"text", "hola, quiero pauta", "es", "hola, quiero pauta"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.lang+"/"+tt.body, func(t *testing.T) {
			d := store.LeadDetail{Transcript: []store.TranscriptLine{{Inbound: true, Kind: tt.kind, Body: tt.body, At: at}}}
			var got []timelineItem
			for _, it := range timeline(tt.lang, d) {
				if it.Kind == "in" {
					got = append(got, it)
				}
			}
			if len(got) != 1 || got[0].Body != tt.want {
				t.Errorf("timeline %+v; want one inbound line %q", got, tt.want)
			}
		})
	}
}

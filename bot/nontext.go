package bot

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/cis-agencia/cis/flow"
)

// What the bot does with messages that are not text, whatever the channel:
//
//   - A reaction (👍 on the bot's question) is stored in the conversation's
//     log and never answered: it is not an answer, and a reply to it would
//     only repeat the question.
//   - A transcribed voice note goes through the flow as the text it says;
//     the log keeps it as audio with its transcript, for the advisor.
//   - Anything else the bot cannot read (image, sticker, video, document,
//     an unsupported type, a voice note without transcription) gets the
//     flow's polite request to write once per question: further ones at the
//     same question are stored and not answered, so a batch of several gets
//     one reply. The request and the question it repeats go as one message.

// nonTextKey is the flow's catalogue key of the polite request to write.
const nonTextKey = "non_text"

// maxTranscriptRunes is how much of a transcript reaches the flow: its
// answer parsers refuse longer messages (flow's limit is 1000 runes), and a
// long voice note's answers come first more often than last.
const maxTranscriptRunes = 1000

// step runs one inbound message through the flow under the rules above.
func (b *Bot) step(m machine, s flow.State, in flow.Inbound, now time.Time, window time.Duration) flow.Result {
	if in.Kind == flow.KindReaction {
		return flow.Result{State: b.keep(s, now)}
	}
	if in.Kind == flow.KindAudio && strings.TrimSpace(in.Text) != "" {
		in.Kind, in.Text = flow.KindText, cutRunes(in.Text, maxTranscriptRunes)
	}
	return politeOnce(s, in, m.StepBurst(s, in, now, window))
}

// keep returns s unchanged for a message that is only logged; a person's
// first message starts the conversation at its greeting without a reply,
// so the log has a conversation to hang from.
func (b *Bot) keep(s flow.State, now time.Time) flow.State {
	if s.Version != 0 {
		return s
	}
	return flow.State{Version: flow.StateVersion, Status: flow.InProgress, Stage: flow.StageGreeting,
		Lang: b.flow.Config().Lang, StartedAt: now, UpdatedAt: now}
}

// politeOnce applies the once-per-question rule to r, the flow's answer to
// in in state before.
func politeOnce(before flow.State, in flow.Inbound, r flow.Result) flow.Result {
	i := slices.IndexFunc(r.Replies, func(x flow.Reply) bool { return x.Key == nonTextKey })
	if i < 0 {
		if in.Kind == flow.KindText || in.Kind == flow.KindLocation || in.Kind == "" {
			r.State.NonTextAt = ""
		}
		return r
	}
	end := min(i+2, len(r.Replies)) // the request and the question it repeats, if any
	if before.Stage == r.State.Stage && before.NonTextAt == r.State.Stage {
		r.Replies = slices.Delete(slices.Clone(r.Replies), i, end)
		return r
	}
	r.State.NonTextAt = r.State.Stage
	if end == i+2 {
		q := r.Replies[i+1]
		q.Text = r.Replies[i].Text + "\n\n" + q.Text
		r.Replies = slices.Replace(slices.Clone(r.Replies), i, end, q)
	}
	return r
}

// cutRunes shortens s to at most n runes, at a word boundary when one is
// near the end.
func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	r = r[:n]
	if j := lastSpace(r); j > n*9/10 {
		r = r[:j]
	}
	return strings.TrimRightFunc(string(r), unicode.IsSpace)
}

func lastSpace(r []rune) int {
	for j := len(r) - 1; j >= 0; j-- {
		if unicode.IsSpace(r[j]) {
			return j
		}
	}
	return -1
}

// Step is what Receive runs for one message outside a burst: the flow under
// the rules above. Replays of the log (store.Expect.Step) use it, so that a
// reaction or a transcribed voice note replays as it was handled.
func (b *Bot) Step(s flow.State, in flow.Inbound, now time.Time) flow.Result {
	return b.step(b.machineFor(context.Background(), in), s, in, now, 0)
}

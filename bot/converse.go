package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Converse feeds every line of in (a script, or a person typing when
// interactive) to the simulator and prints the replies.
func Converse(ctx context.Context, sim *Simulator, in io.Reader, interactive bool, out ChatPrinter) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	lineNo := 0
	if interactive {
		out.prompt()
	}
	for sc.Scan() {
		lineNo++
		raw := sc.Text()
		if strings.TrimSpace(raw) == "" || strings.HasPrefix(strings.TrimSpace(raw), "#") {
			if interactive {
				out.prompt()
			}
			continue
		}
		l, err := ParseScriptLine(raw)
		if err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		x, err := sim.Send(ctx, l)
		if err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		if err := out.exchange(x); err != nil {
			return err
		}
		if interactive {
			out.prompt()
		}
	}
	return sc.Err()
}

// ChatPrinter writes the conversation for a person or, with json, as one
// JSON object per line: {"reply_to", "key", "text"} per reply, the lead last.
type ChatPrinter struct {
	W    io.Writer
	JSON bool
	You  string // the interactive prompt
}

func (p ChatPrinter) prompt() {
	if !p.JSON {
		fmt.Fprint(p.W, p.You)
	}
}

func (p ChatPrinter) exchange(x Exchange) error {
	if !x.Handled && !p.JSON {
		fmt.Fprintf(p.W, "(mensaje %s repetido: ya se atendió)\n", x.ID)
	}
	for _, r := range x.Replies {
		if p.JSON {
			b, err := json.Marshal(map[string]string{"reply_to": x.ID, "key": r.Key, "text": r.Body})
			if err != nil {
				return err
			}
			fmt.Fprintf(p.W, "%s\n", b)
			continue
		}
		fmt.Fprintf(p.W, "bot> %s\n", strings.ReplaceAll(r.Body, "\n", "\n     "))
	}
	return nil
}

// Lead prints the stored lead last.
func (p ChatPrinter) Lead(r LeadReport) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if !p.JSON {
		fmt.Fprintln(p.W, "\nLead guardado:")
	}
	_, err = fmt.Fprintf(p.W, "%s\n", b)
	return err
}

package bot

import (
	"context"
	"fmt"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// Converse is the in-process channel the web chat is: it handles in as
// Receive does, then delivers the replies due on in's channel through the
// one sender (send.go). The page reads them from the store (the
// transcript), so delivering one is marking it sent. handled is false for a
// redelivery (a retried POST).
func (b *Bot) Converse(ctx context.Context, in flow.Inbound) (handled bool, err error) {
	handled, err = b.Receive(ctx, in)
	if err != nil {
		return false, err
	}
	if _, err := b.Flush(ctx, in.Channel, inProcess{}); err != nil {
		return handled, err
	}
	return handled, nil
}

// inProcess "delivers" a reply of an in-process channel: the page reads
// replies from the store.
type inProcess struct{}

func (inProcess) Send(_ context.Context, o store.Outgoing) (string, error) {
	return fmt.Sprintf("web-out-%d", o.ID), nil
}

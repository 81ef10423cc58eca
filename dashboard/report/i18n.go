package report

import "github.com/cis-agencia/cis/flow/messages"

// T returns the report text for key in lang ("es" default, "en"), or the
// key itself when missing (flow/messages' tests check both languages exist
// and every key the report asks for).
func T(lang, key string) string { return texts.Text(lang, key) }

// texts is the report's part of the product's message catalogue: its
// report.* keys, read without the prefix.
var texts = messages.Default().Area("report")

package flow

import "slices"

// IsQuestion reports whether a reply with this catalogue key puts a
// question to the prospect (the consent text included). A channel that
// cannot tell whether such a reply left sends it again: a question asked
// twice is harmless, a question never asked stalls the conversation, and a
// consent answer only counts when its consent text was sent.
func IsQuestion(key string) bool { return slices.Contains(questionKeys, key) }

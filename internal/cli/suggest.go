package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// suggestionDistance is how many edits a typed name may be from a real one
// to be suggested, as cobra's own command suggestions allow.
const suggestionDistance = 2

// didYouMean is the "Did you mean this?" tail of an unknown-name error, or ""
// when nothing is close.
func didYouMean(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "\n\nDid you mean this?\n\t" + strings.Join(names, "\n\t")
}

// commandSuggestions are the commands of root whose name or alias is close
// to typed (cobra's SuggestionsFor: a prefix or at most two edits away).
func commandSuggestions(root *cobra.Command, typed string) string {
	if root.SuggestionsMinimumDistance <= 0 {
		root.SuggestionsMinimumDistance = suggestionDistance
	}
	return didYouMean(root.SuggestionsFor(typed))
}

// flagSuggestions are the flags of c close to the one pflag called unknown
// in msg ("unknown flag: --profle"), as --name; cobra suggests none itself.
func flagSuggestions(c *cobra.Command, msg string) string {
	typed, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return ""
	}
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && (strings.HasPrefix(f.Name, typed) || editDistance(typed, f.Name) <= suggestionDistance) {
			names = append(names, "--"+f.Name)
		}
	})
	return didYouMean(names)
}

// editDistance is the Levenshtein distance of a and b, in bytes (flag names
// are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

package analysis

import (
	"errors"
	"strings"
	"unicode"
)

// Hit is a message that matched a full-text search, with a snippet of its
// text around the words found.
type Hit struct {
	Record  Record `json:"record"`
	Snippet string `json:"snippet"`
}

// ErrNoRecord says that no record of a case starts at a source (an
// item's file, a line or byte offset): what a store answers when asked
// for the message of a link that is not there.
var ErrNoRecord = errors.New("analysis: no record at that source")

// Snippet cuts text to about width words around the first word that
// matches one of terms, without regard to case or accents (as the search
// index folds them), and marks every matching word as [word]. Words left
// out at either end are shown as "…". A text with no match gives its first
// words.
func Snippet(text string, terms []string, width int) string {
	want := map[string]bool{}
	for _, t := range terms {
		if f := Fold(t); f != "" {
			for _, w := range strings.Fields(f) {
				want[w] = true
			}
		}
	}
	words := wordSpans(text)
	if len(words) == 0 {
		return strings.TrimSpace(text)
	}
	match := make([]bool, len(words))
	first := -1
	for i, w := range words {
		if want[Fold(text[w.start:w.end])] {
			match[i] = true
			if first < 0 {
				first = i
			}
		}
	}
	if width < 1 {
		width = 12
	}
	lo := 0
	if first > width/2 {
		lo = first - width/2
	}
	hi := min(lo+width, len(words))
	if hi-lo < width && hi == len(words) {
		lo = max(0, hi-width)
	}
	var b strings.Builder
	if lo > 0 {
		b.WriteString("…")
	}
	pos := words[lo].start
	if lo == 0 {
		pos = 0
	}
	for i := lo; i < hi; i++ {
		w := words[i]
		b.WriteString(text[pos:w.start])
		if match[i] {
			b.WriteString("[" + text[w.start:w.end] + "]")
		} else {
			b.WriteString(text[w.start:w.end])
		}
		pos = w.end
	}
	if hi < len(words) {
		b.WriteString("…")
	} else {
		b.WriteString(text[pos:])
	}
	return strings.TrimSpace(b.String())
}

// Words splits text into words as the search index does (runs of letters,
// digits and combining marks): what a search looks for, one word at a
// time.
func Words(text string) []string {
	var out []string
	for _, w := range wordSpans(text) {
		out = append(out, text[w.start:w.end])
	}
	return out
}

// span is where a word of a text starts and ends, in bytes.
type span struct{ start, end int }

// wordSpans finds the words of text: runs of letters, digits and
// combining marks.
func wordSpans(text string) []span {
	var out []span
	start := -1
	for i, r := range text {
		in := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			out = append(out, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(text)})
	}
	return out
}

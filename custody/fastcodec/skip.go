package fastcodec

import "github.com/custodia-ec/custodia/custody"

// skip passes over one JSON value without building it. It only needs to be
// right for valid JSON; invalid JSON is refused by custody afterwards.
//
// It must end on any input, valid or not, so every path that returns true
// has moved p.i forward by at least one byte: the loop over a container's
// members calls skip once per pass and would otherwise spin in place on a
// byte that begins no value (`{]`, `[}`, `{:`). A stray ',' or ':' is
// passed over by the loop itself, which also moves forward.
func (p *scanner) skip(depth int) bool {
	if p.i >= len(p.data) || depth > custody.MaxDepth {
		return false
	}
	switch p.data[p.i] {
	case '"':
		p.i++
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case '\\':
				p.i += 2
				continue
			case '"':
				p.i++
				return true
			}
			p.i++
		}
		return false
	case '{', '[':
		open, close := p.data[p.i], byte('}')
		if open == '[' {
			close = ']'
		}
		p.i++
		for {
			p.ws()
			if p.i >= len(p.data) {
				return false
			}
			if p.data[p.i] == close {
				p.i++
				return true
			}
			if !p.skip(depth + 1) {
				return false
			}
			p.ws()
			if p.i < len(p.data) && (p.data[p.i] == ',' || p.data[p.i] == ':') {
				p.i++
			}
		}
	default:
		// A bare value: a number or a literal, up to the next separator.
		// An empty one is a separator or closing bracket where a value
		// should be (the wrong bracket, a stray comma): that is not JSON,
		// and returning true here without moving would loop for ever.
		start := p.i
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case ',', ':', '{', '[', '"', '}', ']', ' ', '\t', '\n', '\r':
				return p.i > start
			}
			p.i++
		}
		return p.i > start
	}
}

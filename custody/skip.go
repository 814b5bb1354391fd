package custody

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// skip passes over one JSON value without building it. It only needs to be
// right for valid JSON; invalid JSON is reported by the decoder afterwards.
func (p *parser) skip(depth int) bool {
	if p.i >= len(p.data) || depth > maxDepth {
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
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
			p.i++
		}
		return true
	}
}

package verify

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Policy says which witnesses must have cosigned a checkpoint for it to be
// trusted. Its file format is C2SP tlog-policy; see the package
// documentation. The zero Policy is not usable; build one with ParsePolicy.
type Policy struct {
	Logs      []string        // log vkeys; when present, the log key must be one of them
	Witnesses []PolicyWitness // in file order
	Quorum    string          // a witness or group name, or "none"
	groups    []policyGroup   // in file order: each refers only to earlier names
}

// PolicyWitness is one witness of a policy.
type PolicyWitness struct {
	Name     string
	VKey     string
	URL      string // optional; not used by the verifier
	verifier *CosignatureVerifier
}

// policyGroup is a group line: at least k of members must have witnessed.
type policyGroup struct {
	name    string
	k       int
	members []string
}

// ParsePolicy parses a policy file. Every error names the line.
func ParsePolicy(data []byte) (*Policy, error) {
	if len(data) > maxPolicySize {
		return nil, fmt.Errorf("the policy is %d bytes; the limit is %d", len(data), maxPolicySize)
	}
	for i, c := range data {
		control := c < 0x20 || c == 0x7f
		if control && c != '\t' && c != '\n' {
			return nil, fmt.Errorf("the policy holds a control character at byte %d", i)
		}
	}
	p := &Policy{}
	defined := map[string]bool{} // witness and group names share one namespace
	keys := map[string]bool{}    // public key bytes, to refuse duplicates
	lines := strings.Split(string(data), "\n")
	if len(lines) > maxPolicyLines {
		return nil, fmt.Errorf("the policy has %d lines; the limit is %d", len(lines), maxPolicyLines)
	}
	for n, line := range lines {
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if err := p.parseLine(f, defined, keys); err != nil {
			return nil, fmt.Errorf("policy line %d: %w", n+1, err)
		}
	}
	if p.Quorum == "" {
		return nil, fmt.Errorf("the policy has no quorum line")
	}
	return p, nil
}

// parseLine adds one non-empty, non-comment line to p. defined holds the
// witness and group names so far (one namespace); keys the public keys, to
// refuse a key listed twice, even under two names.
func (p *Policy) parseLine(f []string, defined, keys map[string]bool) error {
	if (f[0] == "witness" || f[0] == "group") && len(f) > 1 && (f[1] == "none" || defined[f[1]]) {
		return fmt.Errorf("the name %q is reserved or already defined", f[1])
	}
	dup := func(vkey string) bool {
		k := f[0] + " " + keyMaterial(vkey)
		d := keys[k]
		keys[k] = true
		return d
	}
	switch {
	case f[0] == "log" && (len(f) == 2 || len(f) == 3):
		if _, err := note.NewVerifier(f[1]); err != nil {
			return fmt.Errorf("log key %q: %v", f[1], err)
		}
		if dup(f[1]) {
			return fmt.Errorf("log key %q is listed twice", f[1])
		}
		p.Logs = append(p.Logs, f[1])
	case f[0] == "witness" && (len(f) == 3 || len(f) == 4):
		v, err := NewCosignatureVerifier(f[2])
		if err != nil {
			return fmt.Errorf("witness %s: %v", f[1], err)
		}
		if dup(f[2]) {
			return fmt.Errorf("witness %s has the same key as an earlier witness", f[1])
		}
		defined[f[1]] = true
		p.Witnesses = append(p.Witnesses, PolicyWitness{Name: f[1], VKey: f[2], URL: strings.Join(f[3:], ""), verifier: v})
	case f[0] == "group" && len(f) >= 4:
		g := policyGroup{name: f[1], members: f[3:]}
		seen := map[string]bool{}
		for _, m := range g.members {
			if !defined[m] || seen[m] {
				return fmt.Errorf("group %s: member %q is not defined on an earlier line, or is listed twice", f[1], m)
			}
			seen[m] = true
		}
		switch k, err := strconv.Atoi(f[2]); {
		case f[2] == "all":
			g.k = len(g.members)
		case f[2] == "any":
			g.k = 1
		case err != nil || strconv.Itoa(k) != f[2] || k < 1 || k > len(g.members):
			return fmt.Errorf("group %s: threshold %q must be all, any or a number from 1 to %d", f[1], f[2], len(g.members))
		default:
			g.k = k
		}
		defined[f[1]] = true
		p.groups = append(p.groups, g)
	case f[0] == "quorum" && len(f) == 2:
		// One quorum line only; it names "none", or a witness or group
		// defined on an earlier line.
		if p.Quorum != "" || (f[1] != "none" && !defined[f[1]]) { // a second quorum line, or an undefined name
			return fmt.Errorf("quorum %q: a second quorum line, or a name not defined on an earlier line", f[1])
		}
		p.Quorum = f[1]
	default:
		return fmt.Errorf("cannot read %q (want log, witness, group or quorum with their arguments)", strings.Join(f, " "))
	}
	return nil
}

// keyMaterial is the base64 public key part of a vkey, so that two vkeys
// wrapping one key under different names count as duplicates.
func keyMaterial(vkey string) string {
	if f := strings.SplitN(vkey, "+", 3); len(f) == 3 { // name+hash+key: the key's base64 may hold '+'
		return f[2]
	}
	return vkey
}

// Satisfied reports whether cosignatures by the named witnesses meet the
// policy's quorum. Names that are not witnesses of the policy count for
// nothing. A witness has witnessed a checkpoint if it cosigned it; a group,
// if at least k of its members have. Groups are evaluated in file order,
// which is possible because each refers only to names defined before it.
func (p *Policy) Satisfied(signers []string) bool {
	ok := map[string]bool{"none": true}
	for _, s := range signers {
		for _, w := range p.Witnesses {
			ok[w.Name] = ok[w.Name] || w.Name == s
		}
	}
	for _, g := range p.groups {
		n := 0
		for _, m := range g.members {
			if ok[m] {
				n++
			}
		}
		ok[g.name] = n >= g.k
	}
	return ok[p.Quorum]
}

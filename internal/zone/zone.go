// Package zone names the time zone users read times in. Events keep the
// offset they were recorded with; what a person reads (web pages, PDFs,
// the API's as_of, generated-at lines) is shown in the deployment's zone,
// with its offset, so that no one has to guess whether 06:30 was local.
//
// The zone database is embedded (time/tzdata): a fresh machine without
// /usr/share/zoneinfo shows the same times.
package zone

import (
	"fmt"
	"time"
	_ "time/tzdata" // the zone database travels with the binary
)

// DefaultName is the zone of the operation the project starts from.
const DefaultName = "America/Guayaquil"

// Load returns the named IANA zone ("" is DefaultName), or an error that
// says which name was not understood.
func Load(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultName
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("zona horaria %q desconocida; use un nombre IANA como %s / unknown time zone %q; use an IANA name such as %s", name, DefaultName, name, DefaultName)
	}
	return loc, nil
}

// Default is DefaultName's zone.
func Default() *time.Location {
	loc, err := time.LoadLocation(DefaultName)
	if err != nil { // the embedded database always has it; never guess UTC
		return time.FixedZone("-05", -5*3600)
	}
	return loc
}

// Layout is how a person reads a time: date, minutes and the offset.
const Layout = "2006-01-02 15:04 -07:00"

// Show formats t in loc with its offset; the zero time is "".
func Show(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format(Layout)
}

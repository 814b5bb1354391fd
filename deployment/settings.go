package deployment

import (
	"fmt"

	"github.com/custodia-ec/custodia/domain"
)

// A setting is a value of config.json that changes what the record says:
// the legal deadlines a report applies. Each has a stable name, the key it
// has in config.json, so that a mismatch found by audit names the key an
// operator would have to have edited.
type setting struct {
	name string
	get  func(domain.Config) int64
}

var settings = []setting{
	{"rights_notice_minutes", func(c domain.Config) int64 { return c.RightsNoticeMinutes }},
	{"hearing_minutes", func(c domain.Config) int64 { return c.HearingMinutes }},
	{"clock_skew_minutes", func(c domain.Config) int64 { return c.ClockSkewMinutes }},
}

// SettingMismatches compares the live deadline rules of config.json with
// those the log last recorded, and returns one line per setting that
// differs, naming it and both values, in the order of the settings above.
// An empty result means the live file says what the log says.
func SettingMismatches(logged, live domain.Config) []string {
	var out []string
	for _, s := range settings {
		if a, b := s.get(logged), s.get(live); a != b {
			out = append(out, fmt.Sprintf("setting %s: config.json has %d, the log recorded %d", s.name, b, a))
		}
	}
	return out
}

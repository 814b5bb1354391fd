package deployment

import (
	"context"
	"fmt"
	"strings"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
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

// settingMismatches compares the live settings of config.json with those
// the log applies, and returns one problem per setting that differs,
// naming it and both values, in the order of the settings above.
func settingMismatches(logged, live domain.Config) []ledger.Problem {
	var out []ledger.Problem
	for _, s := range settings {
		if a, b := s.get(logged), s.get(live); a != b {
			out = append(out, ledger.Problem{Kind: "setting", Key: s.name,
				Message:   fmt.Sprintf("config.json dice %s = %d, pero el registro aplica %d (cámbielo con custodia settings set, que lo registra)", s.name, b, a),
				MessageEN: fmt.Sprintf("config.json says %s = %d, but the log applies %d (change it with custodia settings set, which records it)", s.name, b, a)})
		}
	}
	return out
}

// ReadConfig reads a deployment's config.json.
func ReadConfig(dir string) (Config, error) { return readConfig(dir) }

// SettingNames lists the settings custodia settings set accepts.
func SettingNames() []string {
	out := make([]string, len(settings))
	for i, s := range settings {
		out[i] = s.name
	}
	return out
}

// SetSettings changes settings of the record: it logs a
// deployment.settings event with every setting (those not named keep the
// log's current values), through appendRecs (the one write path), and then
// writes the same values to config.json, so that audit finds the two
// equal. Unknown names and values out of range are refused before anything
// is written.
func SetSettings(ctx context.Context, d *Deployment, appendRecs func(context.Context, []ledger.Record) error, values map[string]int64) error {
	var cur domain.Config
	d.Ledger.View(func(st *domain.State) error { cur = st.Config(); return nil })
	rec := &domain.Settings{RightsNoticeMinutes: cur.RightsNoticeMinutes, HearingMinutes: cur.HearingMinutes, ClockSkewMinutes: cur.ClockSkewMinutes}
	if rec.ClockSkewMinutes == 0 {
		rec.ClockSkewMinutes = domain.DefaultClockSkewMinutes
	}
	for name, v := range values {
		switch name {
		case "rights_notice_minutes":
			rec.RightsNoticeMinutes = v
		case "hearing_minutes":
			rec.HearingMinutes = v
		case "clock_skew_minutes":
			rec.ClockSkewMinutes = v
		default:
			return custody.Errorf(custody.EInvalid, name, "ajuste desconocido; los ajustes son: %s", "unknown setting; the settings are: %s", strings.Join(SettingNames(), ", "))
		}
	}
	if err := domain.ValidateSystem(rec); err != nil {
		return err
	}
	if err := appendRecs(ctx, []ledger.Record{{Op: domain.OpSettings, Rec: rec}}); err != nil {
		return err
	}
	cfg, err := readConfig(d.Dir)
	if err != nil {
		return err
	}
	cfg.RightsNoticeMinutes, cfg.HearingMinutes, cfg.ClockSkewMinutes = rec.RightsNoticeMinutes, rec.HearingMinutes, rec.ClockSkewMinutes
	if err := writeConfig(d.Dir, cfg); err != nil {
		return err
	}
	d.Config = cfg
	return nil
}

package deployment

import (
	"reflect"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/domain"
)

func TestSettingMismatchesNamesEachEditedSetting(t *testing.T) {
	logged := domain.DefaultConfig
	if got := settingMismatches(logged, logged); len(got) != 0 {
		t.Fatalf("same rules reported as different: %+v", got)
	}
	// The edit of issue 12: 60 → 600 hid the Terán violation.
	live := logged
	live.RightsNoticeMinutes = 600
	got := settingMismatches(logged, live)
	if len(got) != 1 || !strings.Contains(got[0].MessageEN, "rights_notice_minutes") || !strings.Contains(got[0].MessageEN, "600") || !strings.Contains(got[0].Message, "60") {
		t.Fatalf("rights edit: got %+v", got)
	}
	live.HearingMinutes = 2880
	got = settingMismatches(logged, live)
	if len(got) != 2 || !strings.Contains(got[1].MessageEN, "hearing_minutes") || !strings.Contains(got[1].MessageEN, "2880") {
		t.Fatalf("both edits: got %+v", got)
	}
}

// Every deadline rule of domain.Config must be covered: a new rule added
// there without an entry in settings would escape audit.
func TestSettingsCoverEveryRule(t *testing.T) {
	var zero domain.Config
	for i, s := range settings {
		c := zero
		switch i {
		case 0:
			c.RightsNoticeMinutes = 1
		case 1:
			c.HearingMinutes = 1
		case 2:
			c.ClockSkewMinutes = 1
		}
		if s.get(c) != 1 {
			t.Errorf("setting %s reads the wrong field", s.name)
		}
	}
	if n := reflect.TypeFor[domain.Config]().NumField(); len(settings) != n {
		t.Errorf("settings has %d entries; domain.Config has %d rules", len(settings), n)
	}
}

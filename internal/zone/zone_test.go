package zone

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultIsGuayaquil(t *testing.T) {
	at := time.Date(2023, 12, 14, 11, 30, 0, 0, time.UTC)
	if got := Show(at, Default()); got != "2023-12-14 06:30 -05:00" {
		t.Fatalf("Show = %q", got)
	}
	if Show(time.Time{}, Default()) != "" {
		t.Fatal("zero time must show empty")
	}
}

func TestLoad(t *testing.T) {
	loc, err := Load("")
	if err != nil || loc.String() != DefaultName {
		t.Fatalf("Load(\"\") = %v, %v", loc, err)
	}
	if loc, err := Load("Europe/Madrid"); err != nil || loc.String() != "Europe/Madrid" {
		t.Fatalf("Load(Europe/Madrid) = %v, %v", loc, err)
	}
	for _, bad := range []string{"America/Quit", "Local", "../../etc/passwd", "-05:00"} {
		_, err := Load(bad)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "zona horaria") {
			t.Errorf("Load(%q) = %v, want an error naming it", bad, err)
		}
	}
}

package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
)

// gateService is a service over the Metástasis deployment with the hash
// gate configured by cfg (its Ledger, Credentials and Now are filled in).
func gateService(t *testing.T, cfg Config) *Service {
	t.Helper()
	clock := func() time.Time { return fieldNow }
	d, _ := testdeploy.Metastasis(t, clock)
	cfg.Ledger, cfg.Credentials, cfg.Now = d.Ledger, d.Store.Credentials(), clock
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func codeOf(err error) string {
	var ce *custody.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return fmt.Sprint(err)
}

// TestSignInsHashAtMostTheCap: 24 parallel sign-ins, each from its own
// address (no per-client bound applies) and to an account that does not
// exist (no lockout applies: each runs argon2id against the dummy hash),
// never have more than PasswordHashes hashes running at once: the memory
// of hashes is at most that many times 19 MiB, however many arrive. With
// a queue long enough for all, every one of them is still answered as a
// wrong sign-in, not refused.
func TestSignInsHashAtMostTheCap(t *testing.T) {
	const slots, n = 2, 24
	s := gateService(t, Config{PasswordHashes: slots, HashQueue: n, HashWait: time.Minute})
	// Each hash holds its slot a little longer, so that the requests
	// overlap even on a slow machine.
	hold := func() { time.Sleep(5 * time.Millisecond) }
	s.hashes.hook.Store(&hold)
	var wg sync.WaitGroup
	var wrong, other atomic.Int64
	for i := range n {
		wg.Go(func() {
			_, _, err := s.Login(context.Background(), fmt.Sprintf("198.51.100.%d", i), LoginRequest{Account: fmt.Sprintf("nadie-%d", i), Password: "x"})
			if codeOf(err) == custody.EAuth {
				wrong.Add(1)
			} else {
				other.Add(1)
				t.Errorf("sign-in %d: %v, want a wrong sign-in", i, err)
			}
		})
	}
	wg.Wait()
	if got := s.hashes.peak.Load(); got > slots {
		t.Errorf("%d hashes ran at once, want at most %d", got, slots)
	} else if got < slots {
		t.Errorf("at most %d hashes ran at once: the test did not make %d parallel sign-ins contend", got, n)
	}
	if wrong.Load() != n {
		t.Errorf("%d of %d answered as wrong sign-ins (%d otherwise)", wrong.Load(), n, other.Load())
	}
}

// TestSignInsBeyondTheQueueAreRefused: with every slot taken and the queue
// full, one more sign-in is refused at once (503 busy), and so is one that
// waited in the queue longer than HashWait; a client with
// LoginsPerClient sign-ins under way is refused at once (429), whatever
// the account, while another client still gets in line.
func TestSignInsBeyondTheQueueAreRefused(t *testing.T) {
	s := gateService(t, Config{PasswordHashes: 1, HashQueue: 2, HashWait: 300 * time.Millisecond, LoginsPerClient: 2})
	release := make(chan struct{})
	var held sync.Once
	started := make(chan struct{})
	block := func() {
		held.Do(func() { close(started); <-release })
	}
	s.hashes.hook.Store(&block)
	login := func(client, account string) error {
		_, _, err := s.Login(context.Background(), client, LoginRequest{Account: account, Password: "x"})
		return err
	}
	errs := make(chan error, 3)
	go func() { errs <- login("192.0.2.1", "a") }() // takes the one slot and holds it
	<-started
	// Two more queue, from one client: that client is now at its bound.
	go func() { errs <- login("192.0.2.2", "b") }()
	go func() { errs <- login("192.0.2.2", "c") }()
	for deadline := time.Now().Add(10 * time.Second); s.hashes.waiting() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the two sign-ins did not queue")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := login("192.0.2.2", "d"); codeOf(err) != custody.ELimited || err.(*custody.Error).Message != ErrClientSignIns().Message {
		t.Errorf("a third sign-in under way from one client: %v, want 429 %q", err, ErrClientSignIns().Message)
	}
	if err := login("192.0.2.3", "e"); codeOf(err) != custody.EBusy || err.(*custody.Error).Message != "demasiados intentos de ingreso en curso; intente en unos segundos" {
		t.Errorf("a sign-in with the slot taken and the queue full: %v, want 503 busy", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("the refusals took %v: they must not wait", d)
	}
	// The two queued ones wait at most HashWait, then are refused busy.
	for range 2 {
		if err := <-errs; codeOf(err) != custody.EBusy {
			t.Errorf("a queued sign-in past HashWait: %v, want 503 busy", err)
		}
	}
	close(release)
	if err := <-errs; codeOf(err) != custody.EAuth {
		t.Errorf("the sign-in that held the slot: %v, want a wrong sign-in", err)
	}
	// Everything ended: the client is no longer at its bound and the gate
	// takes sign-ins again.
	if err := login("192.0.2.2", "f"); codeOf(err) != custody.EAuth {
		t.Errorf("a sign-in after the others ended: %v, want a wrong sign-in", err)
	}
	if got := s.hashes.peak.Load(); got != 1 {
		t.Errorf("%d hashes ran at once, want 1", got)
	}
}

// TestEveryPasswordHashOfTheServerTakesASlot: a password change (the check
// of the current password, the hash of the new one) and an account made
// through the server hash in the same slots as sign-ins: with the one slot
// held, each waits HashWait and is refused busy, and nothing is changed.
func TestEveryPasswordHashOfTheServerTakesASlot(t *testing.T) {
	s := gateService(t, Config{PasswordHashes: 1, HashWait: 50 * time.Millisecond})
	ctx := context.Background()
	sys := LedgerAppender(s.Ledger(), "system:test", s.now)
	na, err := CreateAccount(ctx, sys, s.creds, s.now, domain.AccountCreate{Account: "jefe", Name: "Jefe", Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	p := s.principal("jefe", "session")
	release, started := make(chan struct{}), make(chan struct{})
	var held sync.Once
	block := func() { held.Do(func() { close(started); <-release }) }
	s.hashes.hook.Store(&block)
	done := make(chan error)
	go func() {
		_, _, err := s.Login(ctx, "192.0.2.1", LoginRequest{Account: "nadie", Password: "x"})
		done <- err
	}()
	<-started
	if err := s.ChangePassword(ctx, p, na.Password, "una contraseña nueva y larga", "una contraseña nueva y larga"); codeOf(err) != custody.EBusy {
		t.Errorf("a password change with the slot held: %v, want busy", err)
	}
	if _, err := s.CreateAccount(ctx, p, domain.AccountCreate{Account: "otra", Name: "Otra", Role: "auditor"}); codeOf(err) != custody.EBusy {
		t.Errorf("an account made with the slot held: %v, want busy", err)
	}
	close(release)
	if err := <-done; codeOf(err) != custody.EAuth {
		t.Errorf("the sign-in that held the slot: %v", err)
	}
	// The slot free again, the same change goes through, hashing twice.
	if err := s.ChangePassword(ctx, p, na.Password, "una contraseña nueva y larga", "una contraseña nueva y larga"); err != nil {
		t.Errorf("the password change with the slot free: %v", err)
	}
	if got := s.hashes.peak.Load(); got != 1 {
		t.Errorf("%d hashes ran at once, want 1", got)
	}
}

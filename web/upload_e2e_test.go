package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// throttle limits the tab's upload to bytesPerSec (0: no limit), or cuts
// its network altogether.
func (tb *tab) throttle(bytesPerSec float64, off bool) {
	tb.b.t.Helper()
	up := bytesPerSec
	if up == 0 {
		up = -1
	}
	tb.do(fmt.Sprintf("network up=%v offline=%v", up, off), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: up}}})
		return err
	}))
}

// TestUploadPageResumes is issue 18's point 6 in Chromium: an agent with
// an approved passkey opens an item's upload page, chooses a 3 MiB file
// and signs the attachment; the file goes up in 64 KiB parts over a slow
// line; the network is cut mid-way; the agent closes the page, opens it
// again, chooses the same file, and the upload goes on from where the
// server says it stopped, without asking for a signature again. The
// attachment is logged once, signed by the agent's passkey, and its bytes
// are in the store as sent.
func TestUploadPageResumes(t *testing.T) {
	e := newEnvAtConfig(t, time.Now(), Config{UploadChunk: 64 << 10})
	appendRecs := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	item := "E-CHI-03-88"
	if err := appendRecs(t.Context(), []ledger.Record{{Op: custody.OpSeize, Rec: &custody.Seize{ID: item, Case: "METASTASIS", Type: "storage",
		Description: "Disco duro externo", SeizedAt: e.now().Add(-time.Hour).Format(time.RFC3339), SeizedBy: "pn.s-chi-03.lead", Site: "S-CHI-03", Seal: "PN-288888"}}}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	agente := b.tab(e, "agente", "es")
	agente.login("agente")
	agente.enrolApproved(b, "portátil")

	data := make([]byte, 3<<20)
	rand.Read(data)
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	file := filepath.Join(t.TempDir(), "imagen-disco.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}

	agente.open("/evidencias/" + item)
	agente.do("to the upload page", chromedp.Click(chromedp.CSS("#upload-link")))
	agente.waitJS("the upload page", `!!document.querySelector("#form-upload") && !!window.CustodiaSHA256`)
	agente.checkPage("upload")
	agente.shot("upload")
	// A slow line: 3 MiB take about 12 s.
	agente.throttle(256<<10, false)
	agente.do("choose the file and sign", chromedp.SetUploadFiles(chromedp.CSS("#up-file"), []string{file}), chromedp.Click(chromedp.CSS("#up-submit")))
	agente.waitJS("some parts sent", `(function(){var v=document.getElementById("up-bar").value;return v>=10&&v<80&&/Subiendo/.test(document.getElementById("up-status").textContent)})()`)
	agente.throttle(0, true)
	agente.waitJS("the cut reported", `/reintenta/.test(document.getElementById("up-status").textContent)`)
	agente.shot("upload-cut")
	if n := e.attachmentEvents(item); n != 0 {
		t.Fatalf("%d attachments logged before the last byte", n)
	}

	// The page closed and opened again, without a passkey on the new tab:
	// the upload resumes, with the act signed the first time.
	again := agente.reopen("/evidencias/"+item+"/subir", false)
	again.do("viewport", chromedp.EmulateViewport(1280, 900))
	again.waitJS("the upload page", `!!document.querySelector("#form-upload") && !!window.CustodiaSHA256`)
	again.do("the same file again", chromedp.SetUploadFiles(chromedp.CSS("#up-file"), []string{file}), chromedp.Click(chromedp.CSS("#up-submit")))
	again.waitJS("the file listed as stored", fmt.Sprintf(`!!document.querySelector('#files li[data-sha256="%s"][data-stored="1"]')`, want))
	again.checkPage("upload-done")

	if n := e.attachmentEvents(item); n != 1 {
		t.Fatalf("%d attachments logged, want 1", n)
	}
	var seq int64
	e.d.Ledger.View(func(st *domain.State) error {
		for _, a := range st.Attachments {
			if a.Item == item {
				seq = a.Seq
				if a.SHA256 != want || a.Size == nil || *a.Size != int64(len(data)) || a.Name != "imagen-disco.bin" || a.By != "pn.s-chi-03.lead" {
					t.Errorf("the attachment: %+v", a)
				}
			}
		}
		return nil
	})
	hist, err := e.d.Ledger.ItemHistory(t.Context(), item)
	if err != nil || len(hist) != 2 || hist[1].Seq != seq || len(hist[1].Sigs) != 1 || hist[1].Sigs[0].Role != custody.RoleBy {
		t.Errorf("the item's history (%v): %+v", err, hist)
	}
	rc, err := e.d.Blobs.Get(t.Context(), want)
	if err != nil {
		t.Fatalf("the file is not in the store: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("the stored file (%d bytes) differs from the one sent", len(got))
	}
	// One upload, created once and resumed: every part went to it.
	if n := b.count("/api/v1/items/" + item + "/uploads"); n != 1 {
		t.Errorf("%d uploads created, want 1 resumed", n)
	}
	if n := b.count("/api/v1/uploads/"); n < (3<<20)/(64<<10) {
		t.Errorf("only %d requests to the upload's address, want a part each 64 KiB", n)
	}
}

// attachmentEvents counts the attachments logged for item.
func (e *testEnv) attachmentEvents(item string) int { return len(e.attachments(item)) }

// count is how many requests the browser's tabs made to addresses
// containing part.
func (b *browserT) count(part string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, u := range b.requests {
		if strings.Contains(u, part) {
			n++
		}
	}
	return n
}

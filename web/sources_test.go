package web

import (
	"os"
	"testing/fstest"
)

// goSources are the package's Go files, for the catalogue test's scan.
var goSources = func() fstest.MapFS {
	m := fstest.MapFS{}
	for _, f := range []string{"web.go", "render.go", "cases.go", "site.go", "item.go", "verify.go", "audit.go", "login.go", "svg.go", "passkey.go"} {
		b, _ := os.ReadFile(f)
		m[f] = &fstest.MapFile{Data: b}
	}
	return m
}()

package main

import (
	"context"
	"testing"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/httpapi"
	"github.com/custodia-ec/custodia/ledger"
)

func domainAccount(id, role, officer string) domain.AccountCreate {
	return domain.AccountCreate{Account: id, Name: id, Role: role, Officer: officer}
}

func grant(t *testing.T, appendRecs app.Appender, account string) {
	t.Helper()
	if err := appendRecs(context.Background(), []ledger.Record{{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: account}}}); err != nil {
		t.Fatal(err)
	}
}

// newStack builds the application, its gateway and the JSON API on it, as
// `custodia serve` does; the pages mount on s.Gateway().
func newStack(cfg app.Config) (*httpapi.Server, error) {
	svc, err := app.New(cfg)
	if err != nil {
		return nil, err
	}
	return httpapi.New(gateway.New(svc)), nil
}

package main

import (
	"context"
	"testing"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/server"
)

func domainAccount(id, role, officer string) domain.AccountCreate {
	return domain.AccountCreate{Account: id, Name: id, Role: role, Officer: officer}
}

func grant(t *testing.T, app server.Appender, account string) {
	t.Helper()
	if err := app(context.Background(), []ledger.Record{{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: account}}}); err != nil {
		t.Fatal(err)
	}
}

package httpapi

import (
	"context"
	"net/http"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/gateway"
)

// byPath is the handler of a read by one path parameter: it answers 200
// with what get returns for the parameter called name, or get's error.
func byPath[V any](name string, get func(ctx context.Context, p *app.Principal, id string) (V, error)) func(http.ResponseWriter, *http.Request, *app.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
		v, err := get(r.Context(), p, r.PathValue(name))
		if err != nil {
			return err
		}
		gateway.WriteJSON(w, http.StatusOK, v)
		return nil
	}
}

package app

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Metrics are the server's Prometheus metrics, exposed at /metrics in the
// text exposition format (written by hand: three metric families do not
// need a client library).
type Metrics struct {
	mu       sync.Mutex
	requests map[string]*histogram // by route pattern
	codes    map[string]int64      // "route|status"
	batches  *histogram
	commits  *histogram // seconds per ledger transaction
	logSize  func() int64
}

type histogram struct {
	bounds []float64
	counts []int64 // per bound, not cumulative; last is +Inf
	sum    float64
	n      int64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]int64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v)
	h.counts[i]++
	h.sum += v
	h.n++
}

var latencyBounds = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}
var batchBounds = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{requests: map[string]*histogram{}, codes: map[string]int64{}, batches: newHistogram(batchBounds), commits: newHistogram(latencyBounds), logSize: func() int64 { return 0 }}
}

// ObserveRequest counts one answered request of a route.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.requests[route]
	if h == nil {
		h = newHistogram(latencyBounds)
		m.requests[route] = h
	}
	h.observe(d.Seconds())
	m.codes[route+"|"+strconv.Itoa(status)]++
}

func (m *Metrics) observeBatch(n int, d time.Duration) {
	m.mu.Lock()
	m.batches.observe(float64(n))
	m.commits.observe(d.Seconds())
	m.mu.Unlock()
}

// BatchSizes returns the batch size histogram: upper bounds and the count
// of batches in each bucket (not cumulative), and the total records.
func (m *Metrics) BatchSizes() (bounds []float64, counts []int64, records float64, batches int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]float64(nil), m.batches.bounds...), append([]int64(nil), m.batches.counts...), m.batches.sum, m.batches.n
}

func writeHistogram(w io.Writer, name, labels string, h *histogram) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum int64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s%sle=\"%g\"} %d\n", name, labels, sep, b, cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
	if labels != "" {
		labels = "{" + labels + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %g\n%s_count%s %d\n", name, labels, h.sum, name, labels, h.n)
}

// WriteText writes the exposition in Prometheus' text format (content type
// text/plain; version=0.0.4).
func (m *Metrics) WriteText(w io.Writer) {
	size := m.logSize()
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP custodia_http_request_duration_seconds Time to answer a request, by route.")
	fmt.Fprintln(w, "# TYPE custodia_http_request_duration_seconds histogram")
	routes := make([]string, 0, len(m.requests))
	for r := range m.requests {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		writeHistogram(w, "custodia_http_request_duration_seconds", "route="+strconv.Quote(r), m.requests[r])
	}
	fmt.Fprintln(w, "# HELP custodia_http_requests_total Requests answered, by route and status.")
	fmt.Fprintln(w, "# TYPE custodia_http_requests_total counter")
	keys := make([]string, 0, len(m.codes))
	for k := range m.codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i := len(k) - 1
		for k[i] != '|' {
			i--
		}
		fmt.Fprintf(w, "custodia_http_requests_total{route=%s,status=%q} %d\n", strconv.Quote(k[:i]), k[i+1:], m.codes[k])
	}
	fmt.Fprintln(w, "# HELP custodia_commit_batch_records Records per group-commit transaction.")
	fmt.Fprintln(w, "# TYPE custodia_commit_batch_records histogram")
	writeHistogram(w, "custodia_commit_batch_records", "", m.batches)
	fmt.Fprintln(w, "# HELP custodia_commit_duration_seconds Time of one group-commit transaction (append, fsync, checkpoint).")
	fmt.Fprintln(w, "# TYPE custodia_commit_duration_seconds histogram")
	writeHistogram(w, "custodia_commit_duration_seconds", "", m.commits)
	fmt.Fprintln(w, "# HELP custodia_log_size Events in the log.")
	fmt.Fprintln(w, "# TYPE custodia_log_size gauge")
	fmt.Fprintf(w, "custodia_log_size %d\n", size)
}

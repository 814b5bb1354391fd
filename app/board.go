package app

import (
	"encoding/json"
	"fmt"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// BoardEvent is one message of the live operation board: a site status, a
// detention or a seizure, as committed. It carries ids, never a site's
// target or a person's name.
type BoardEvent struct {
	Seq        int64           `json:"seq"`
	Op         string          `json:"op"`
	Operation  string          `json:"operation"`
	RecordedAt string          `json:"recorded_at"`
	Record     json.RawMessage `json:"record"`
}

// publish is the committer's hook: it sends the board's events of a durable
// batch to the streams of their operations. It never blocks (Broker).
func (s *Service) publish(evs []*custody.Event) {
	type msg struct {
		topic string
		data  []byte
	}
	var out []msg
	s.View(func(st *domain.State) error {
		for _, ev := range evs {
			var ops []string
			switch ev.Op {
			case casefile.OpSiteStatus:
				var r casefile.SiteStatus
				if json.Unmarshal(ev.Record, &r) == nil {
					if site, ok := st.Sites[r.Site]; ok {
						ops = []string{site.Operation}
					}
				}
			case casefile.OpDetention, casefile.OpDetentionUpd:
				var id struct {
					ID        string `json:"id"`
					Detention string `json:"detention"`
				}
				json.Unmarshal(ev.Record, &id)
				if id.ID == "" {
					id.ID = id.Detention
				}
				if d, ok := st.Detentions[id.ID]; ok {
					for _, op := range st.Operations {
						if op.Case == d.Case && st.BelongsTo(d, op.ID) {
							ops = append(ops, op.ID)
						}
					}
				}
			case custody.OpSeize:
				var r custody.Seize
				if json.Unmarshal(ev.Record, &r) == nil && r.Site != "" {
					if site, ok := st.Sites[r.Site]; ok {
						ops = []string{site.Operation}
					}
				}
			}
			for _, op := range ops {
				rec := ev.Record
				if ev.Op == casefile.OpDetention {
					// The detainee is named by id only; drop free text.
					var d casefile.Detention
					if json.Unmarshal(ev.Record, &d) == nil {
						d.Note, d.Place, d.Charge = "", "", ""
						rec, _ = json.Marshal(d)
					}
				}
				b, _ := json.Marshal(BoardEvent{Seq: ev.Seq, Op: ev.Op, Operation: op, RecordedAt: ev.Recorded.At, Record: rec})
				out = append(out, msg{op, b})
			}
		}
		return nil
	})
	// One message per operation and batch: a stream wakes once per commit,
	// however many of the batch's events it shows.
	byTopic := map[string][]byte{}
	var order []string
	for _, m := range out {
		if _, ok := byTopic[m.topic]; !ok {
			order = append(order, m.topic)
		}
		byTopic[m.topic] = fmt.Appendf(byTopic[m.topic], "event: board\ndata: %s\n\n", m.data)
	}
	for _, topic := range order {
		s.Broker.Publish(topic, byTopic[topic])
	}
}

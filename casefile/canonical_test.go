package casefile

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
)

// TestRecordsCanonical holds fastcodec.MarshalCanonical of every record
// type (which writes flat records directly) equal to canonicalising what
// encoding/json writes, byte for byte: the events' bytes must not depend on
// which path wrote them.
func TestRecordsCanonical(t *testing.T) {
	ops := []string{OpAgency, OpOfficer, OpCase, OpPerson, OpOrganization, OpLink, OpOperation, OpSite, OpSiteStatus,
		OpDetention, OpDetentionUpd, OpStatement, custody.OpSeize, custody.OpTransfer, custody.OpOpen, custody.OpSeal,
		custody.OpDerive, custody.OpAttach, custody.OpPresent, custody.OpDispose}
	strs := []string{"", "E-1", "<a & b>", "l\u2028s", "\x00\n\"\\/\x1f", "Terán 😀", "2023-12-14T01:00:00-05:00"}
	ints := []int64{0, -1, 7, custody.MaxSafeInteger}
	for _, op := range ops {
		proto := newRecord(op)
		typ := reflect.TypeOf(proto).Elem()
		for shift := 0; shift < 4*len(strs)*len(ints); shift++ {
			v := reflect.New(typ)
			fill(v.Elem(), strs, ints, shift)
			b, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			want, err := custody.Canonical(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fastcodec.MarshalCanonical(v.Interface())
			if err != nil || string(got) != string(want) {
				t.Fatalf("%s %+v:\n MarshalCanonical %s (%v)\n             json %s", op, v.Interface(), got, err, want)
			}
		}
	}
}

func fill(rv reflect.Value, strs []string, ints []int64, shift int) {
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		k := i + shift
		switch f.Interface().(type) {
		case string:
			f.SetString(strs[k%len(strs)])
		case *int64:
			if k%3 != 0 {
				n := ints[k%len(ints)]
				f.Set(reflect.ValueOf(&n))
			}
		case *bool:
			if k%3 != 0 {
				b := k%2 == 0
				f.Set(reflect.ValueOf(&b))
			}
		case []string:
			switch k % 3 {
			case 1:
				f.Set(reflect.ValueOf([]string{}))
			case 2:
				f.Set(reflect.ValueOf(strs[:1+k%len(strs)]))
			}
		default:
			panic("fill: field " + rv.Type().Field(i).Name + " of an unexpected type")
		}
	}
}

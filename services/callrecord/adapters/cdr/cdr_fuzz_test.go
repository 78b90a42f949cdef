package cdr_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/callrecord/adapters/cdr"
)

// dispositions are every Disposition a parser may give.
var dispositions = []cdr.Disposition{cdr.Answered, cdr.Abandoned, cdr.NoAnswer, cdr.Busy, cdr.Failed}

// checkRecord fails unless a parsed record is complete and its event
// payload survives a JSON round trip.
func checkRecord(t *testing.T, r cdr.Record, source string) {
	t.Helper()
	if r.Source != source || r.Key() == "" || !slices.Contains(dispositions, r.Disposition) || r.Started.IsZero() || r.Ended.IsZero() {
		t.Fatalf("incomplete record %+v", r)
	}
	ev := r.Event()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("marshal %+v: %v", ev, err)
	}
	var back callapi.CDRIngested
	if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, ev) {
		t.Fatalf("event %+v does not round-trip: %+v, %v", ev, back, err)
	}
}

// fuzzFixture reads a file of testdata for the seed corpus.
func fuzzFixture(f *testing.F, name string) []byte {
	f.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzParseFreeSWITCH: any body posted as a FreeSWITCH CDR gives a
// complete record or a 400 problem, never a panic or another error; a
// URL-encoded value that would decode to invalid UTF-8 (%80) stays as sent,
// so that the event stores what the record holds.
func FuzzParseFreeSWITCH(f *testing.F) {
	for _, name := range []string{"freeswitch_answered.json", "freeswitch_abandoned.json"} {
		doc := fuzzFixture(f, name)
		f.Add("application/json", doc)
		f.Add("application/x-www-form-urlencoded", []byte("cdr="+url.QueryEscape(string(doc))))
		f.Add("application/x-www-form-base64-encoded", []byte("cdr="+base64.StdEncoding.EncodeToString(doc)))
	}
	f.Add("application/json", []byte(`{"variables":{"uuid":"u","start_epoch":"1","end_epoch":"2"},"callflow":[]}`))
	f.Add("application/json", []byte(`{"variables":{"uuid":"u","start_epoch":"-9223372036854775808","end_epoch":"9223372036854775807"}}`))
	f.Add("application/json; charset=utf-8", []byte(`{"variables":{"uuid":"%zz"},"callflow":{"caller_profile":null}}`))
	f.Add("text/xml", []byte("<cdr/>"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r, err := cdr.ParseFreeSWITCH(contentType, body)
		if err != nil {
			if problem.CodeOf(err) != problem.CodeInvalidArgument {
				t.Fatalf("%s %q: %v, want invalid_argument", contentType, body, err)
			}
			return
		}
		checkRecord(t, r, "freeswitch")
	})
}

// FuzzParseAsterisk: any CSV upload (valid UTF-8, as the gateway lets
// through) gives complete records or a 400 problem naming the line, never
// a panic or another error.
func FuzzParseAsterisk(f *testing.F) {
	f.Add(fuzzFixture(f, "asterisk_master.csv"))
	good := `"","138","400","c","clid","SIP/a-1","","Queue","","2026-10-09 10:00:00","","2026-10-09 10:01:00",60,0,"NO ANSWER","DOCUMENTATION"`
	for _, s := range []string{good, good + "\n" + good, strings.Replace(good, "NO ANSWER", "ANSWERED", 1), `"a,b`, "", "\n\n\n",
		strings.Replace(good, "2026-10-09 10:00:00", "0000-00-00 00:00:00", 1), good + `,"uid-1","' OR 1=1 --","7"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) {
			return // the gateway refuses such an upload before it reaches the parser
		}
		records, err := cdr.ParseAsterisk(bytes.NewReader(body), shanghai)
		if err != nil {
			if problem.CodeOf(err) != problem.CodeInvalidArgument || !strings.Contains(err.Error(), "CDR") {
				t.Fatalf("%q: %v, want an invalid_argument about the CDR", body, err)
			}
			return
		}
		if len(records) == 0 || len(records) > cdr.MaxAsteriskLines {
			t.Fatalf("%q: %d records", body, len(records))
		}
		for _, r := range records {
			checkRecord(t, r, "asterisk")
			if r.Ended.Before(r.Started) {
				t.Fatalf("record ends before it starts: %+v", r)
			}
		}
	})
}

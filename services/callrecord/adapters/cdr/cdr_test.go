package cdr_test

import (
	"encoding/base64"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without tzdata

	"helpdesk/contracts/problem"
	"helpdesk/services/callrecord/adapters/cdr"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// beijing is a wall-clock time of 9 October 2026 in Beijing.
func beijing(clock string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, "2026-10-09 "+clock, shanghai)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFreeSWITCH_reads_mod_json_cdr_in_every_encoding(t *testing.T) {
	answered := fixture(t, "freeswitch_answered.json")
	want := cdr.Record{
		Source: "freeswitch", CallID: "a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
		Caller: "13812345678", Hotline: "4001234567", AgentExtension: "1001",
		Started: beijing("10:15:00"), AnsweredAt: beijing("10:15:20"), Ended: beijing("10:18:20"),
		Disposition: cdr.Answered, Cause: "NORMAL_CLEARING",
	}
	bodies := []struct {
		name, contentType string
		body              []byte
	}{
		{"raw JSON (the module's default)", "application/json", answered},
		{"form, URL-encoded (encode=true)", "application/x-www-form-urlencoded", []byte("cdr=" + url.QueryEscape(string(answered)))},
		{"form, base64 (encode=base64)", "application/x-www-form-base64-encoded", []byte("cdr=" + base64.StdEncoding.EncodeToString(answered))},
		{"callflow as an array (newer FreeSWITCH)", "application/json", asArray(answered)},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			got, err := cdr.ParseFreeSWITCH(b.contentType, b.body)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// asArray rewrites a CDR's repeated "callflow" keys (older FreeSWITCH) as
// one array of the same profiles (newer FreeSWITCH).
func asArray(doc []byte) []byte {
	s := string(doc)
	i := strings.Index(s, `"callflow":{`)
	rest := strings.ReplaceAll(s[i+len(`"callflow":`):], `},"callflow":{`, `},{`)
	return []byte(s[:i] + `"callflow":[` + strings.TrimSuffix(strings.TrimSpace(rest), "}") + "]}")
}

func TestParseFreeSWITCH_a_caller_who_hangs_up_in_the_queue_abandoned(t *testing.T) {
	got, err := cdr.ParseFreeSWITCH("application/json", fixture(t, "freeswitch_abandoned.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Disposition != cdr.Abandoned || !got.AnsweredAt.IsZero() || got.Caller != "+8613900001111" ||
		got.Hotline != "4001234567" || got.Ended.Sub(got.Started) != 65*time.Second {
		t.Errorf("got %+v", got)
	}
}

func TestParseAsterisk_reads_cdr_csv_and_cdr_custom_lines(t *testing.T) {
	got, err := cdr.ParseAsterisk(strings.NewReader(string(fixture(t, "asterisk_master.csv"))), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	want := []cdr.Record{
		{Source: "asterisk", CallID: "1791512400.27", Caller: "13812345678", Hotline: "4001234567", AgentExtension: "1002",
			Started: beijing("10:20:00"), AnsweredAt: beijing("10:20:31"), Ended: beijing("10:25:00"),
			Disposition: cdr.Answered, Cause: "ANSWERED"},
		{Source: "asterisk", Caller: "13700002222", Hotline: "4001234567",
			Started: beijing("10:21:00"), Ended: beijing("10:22:10"), Disposition: cdr.NoAnswer, Cause: "NO ANSWER"},
		{Source: "asterisk", CallID: "1791513000.31", Caller: "13600003333", Hotline: "4001234567", AgentExtension: "1003",
			Started: beijing("10:30:00"), Ended: beijing("10:30:08"), Disposition: cdr.Busy, Cause: "BUSY"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\ngot  %+v\nwant %+v", i+1, got[i], want[i])
		}
	}
	if got[0].Key() != "asterisk:1791512400.27" || !strings.HasPrefix(got[1].Key(), "asterisk:sha256:") {
		t.Errorf("keys: %q %q", got[0].Key(), got[1].Key())
	}
	again, _ := cdr.ParseAsterisk(strings.NewReader(string(fixture(t, "asterisk_master.csv"))), shanghai)
	for i := range again {
		if again[i].Key() != got[i].Key() {
			t.Errorf("line %d: the same CDR has another key the second time", i+1)
		}
	}
}

func TestParse_rejects_malformed_CDRs_with_a_clear_problem(t *testing.T) {
	good := `"","138","400","c","clid","SIP/a-1","","Queue","","2026-10-09 10:00:00","","2026-10-09 10:01:00",60,0,"NO ANSWER","DOCUMENTATION"`
	asterisk := []struct{ name, body, want string }{
		{"empty upload", "", "no CDR lines"},
		{"too few columns", `"a","b","c"`, "line 1 has 3 columns"},
		{"bad time", strings.Replace(good, "2026-10-09 10:00:00", "09/10/2026 10:00", 1), "line 1 start time"},
		{"no end", strings.Replace(good, `"2026-10-09 10:01:00"`, `""`, 1), "line 1 has no end time"},
		{"ends before it starts", strings.Replace(good, "10:01:00", "09:59:00", 1), "line 1 ends before it starts"},
		{"unknown disposition", strings.Replace(good, "NO ANSWER", "MAYBE", 1), `line 1 disposition "MAYBE"`},
		{"answered without answer time", strings.Replace(good, "NO ANSWER", "ANSWERED", 1), "line 1 is ANSWERED with no answer time"},
		{"second line broken", good + "\n" + `"x"`, "line 2 has 1 columns"},
		{"unbalanced quotes", `"a,b`, "line 1 is not CSV"},
	}
	for _, tt := range asterisk {
		_, err := cdr.ParseAsterisk(strings.NewReader(tt.body), shanghai)
		if problem.CodeOf(err) != problem.CodeInvalidArgument || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("asterisk, %s: %v, want a 400 saying %q", tt.name, err, tt.want)
		}
	}
	freeswitch := []struct{ name, contentType, body, want string }{
		{"not JSON", "application/json", "<cdr/>", "is not a mod_json_cdr document"},
		{"no uuid", "application/json", `{"variables":{"start_epoch":"1","end_epoch":"2"}}`, "has no call uuid"},
		{"no start", "application/json", `{"variables":{"uuid":"u","end_epoch":"2"}}`, "has no start_epoch"},
		{"bad epoch", "application/json", `{"variables":{"uuid":"u","start_epoch":"yesterday","end_epoch":"2"}}`, `start_epoch "yesterday"`},
		{"epoch after the year 9999", "application/json", `{"variables":{"uuid":"u","start_epoch":"700000000000","end_epoch":"2"}}`, `start_epoch "700000000000" is not seconds since 1970`},
		{"zero end written 00", "application/json", `{"variables":{"uuid":"u","start_epoch":"1","end_epoch":"00"}}`, "has no end_epoch"},
		{"form without cdr", "application/x-www-form-urlencoded", "uuid=u", "form has no cdr field"},
		{"bad base64", "application/x-www-form-base64-encoded", "cdr=***", "is not base64"},
		{"XML", "text/xml", "<cdr/>", "not text/xml"},
	}
	for _, tt := range freeswitch {
		_, err := cdr.ParseFreeSWITCH(tt.contentType, []byte(tt.body))
		if problem.CodeOf(err) != problem.CodeInvalidArgument || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("freeswitch, %s: %v, want a 400 saying %q", tt.name, err, tt.want)
		}
	}
}

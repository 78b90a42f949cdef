package calendar_test

import (
	"strings"
	"testing"

	"helpdesk/infra/calendar"
)

// FuzzParseDays: any holidays file parses into days or an error naming
// the line, never a panic; what parses prints back as the same days.
func FuzzParseDays(f *testing.F) {
	f.Add("# 2027 — 国务院办公厅关于2027年部分节假日安排的通知\n2027-01-01 off 元旦\n2027-02-06 work 春节调休\n")
	f.Add("\ufeff2027-10-01 off 国庆节\r\n\r\n")
	f.Add("2027-02-30 off x\n")
	f.Add("2027-01-01\n")
	f.Add("2027-01-01 maybe\n")
	f.Add(strings.Repeat("x", 70_000))
	f.Fuzz(func(t *testing.T, file string) {
		days, err := calendar.ParseDays(strings.NewReader(file))
		if err != nil {
			return
		}
		var b strings.Builder
		for _, d := range days {
			kind := "off"
			if d.Work {
				kind = "work"
			}
			b.WriteString(d.Date.String() + " " + kind + " " + d.Name + "\n")
		}
		again, err := calendar.ParseDays(strings.NewReader(b.String()))
		if err != nil || len(again) != len(days) {
			t.Fatalf("%q printed as %q parses to %d days, %v", file, b.String(), len(again), err)
		}
		for i := range days {
			if again[i] != days[i] {
				t.Fatalf("day %d: %+v became %+v", i, days[i], again[i])
			}
		}
	})
}

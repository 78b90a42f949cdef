package cdr

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"helpdesk/contracts/problem"
)

// Asterisk writes CDRs one call a line, in one of two documented column
// orders:
//   - cdr_csv's Master.csv: accountcode, src, dst, dcontext, clid, channel,
//     dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
//     disposition, amaflags, then uniqueid and userfield when loguniqueid
//     and loguserfield are on (16 to 18 columns);
//   - cdr_custom's sample Master.csv mapping: clid, src, dst, dcontext,
//     channel, dstchannel, lastapp, lastdata, start, answer, end, duration,
//     billsec, disposition, amaflags, accountcode, uniqueid, userfield,
//     sequence (19 columns).
//
// Times are "2006-01-02 15:04:05" in the PBX's zone (UTC with usegmtime);
// an unanswered call has an empty answer.

// columns are the positions of the fields a Record needs.
type columns struct {
	src, dst, dstchannel, start, answer, end, disposition, uniqueid int
}

var (
	cdrCSV    = columns{src: 1, dst: 2, dstchannel: 6, start: 9, answer: 10, end: 11, disposition: 14, uniqueid: 16}
	cdrCustom = columns{src: 1, dst: 2, dstchannel: 5, start: 8, answer: 9, end: 10, disposition: 13, uniqueid: 16}
)

// MaxAsteriskLines bounds the lines of one upload.
const MaxAsteriskLines = 10_000

// ParseAsterisk reads Asterisk CDR lines, times in zone loc. A malformed
// line fails the whole upload, naming the line, so that a corrected file
// can be sent again as a whole (lines already taken change nothing then).
func ParseAsterisk(body io.Reader, loc *time.Location) ([]Record, error) {
	rd := csv.NewReader(body)
	rd.FieldsPerRecord = -1
	rd.ReuseRecord = true
	var out []Record
	for line := 1; ; line++ {
		fields, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, problem.New(problem.CodeInvalidArgument, "CDR line %d is not CSV: %v", line, err)
		}
		if len(out) == MaxAsteriskLines {
			return nil, problem.New(problem.CodeInvalidArgument, "more than %d CDR lines in one upload", MaxAsteriskLines)
		}
		r, err := asteriskLine(fields, loc)
		if err != nil {
			return nil, problem.New(problem.CodeInvalidArgument, "CDR line %d %v", line, err)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, problem.New(problem.CodeInvalidArgument, "no CDR lines")
	}
	return out, nil
}

func asteriskLine(f []string, loc *time.Location) (Record, error) {
	var c columns
	switch len(f) {
	case 16, 17, 18:
		c = cdrCSV
	case 19:
		c = cdrCustom
	default:
		return Record{}, fmt.Errorf("has %d columns, not 16-18 (cdr_csv) or 19 (cdr_custom)", len(f))
	}
	at := func(name string, i int, required bool) (time.Time, error) {
		v := strings.TrimSpace(f[i])
		if v == "" {
			if required {
				return time.Time{}, fmt.Errorf("has no %s time", name)
			}
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation(time.DateTime, v, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s time %q is not YYYY-MM-DD hh:mm:ss", name, v)
		}
		return t.UTC(), nil
	}
	r := Record{Source: "asterisk", Caller: f[c.src], Hotline: f[c.dst],
		AgentExtension: channelUser(f[c.dstchannel]), Cause: f[c.disposition]}
	if c.uniqueid < len(f) {
		r.CallID = f[c.uniqueid]
	}
	var err error
	if r.Started, err = at("start", c.start, true); err != nil {
		return Record{}, err
	}
	if r.AnsweredAt, err = at("answer", c.answer, false); err != nil {
		return Record{}, err
	}
	if r.Ended, err = at("end", c.end, true); err != nil {
		return Record{}, err
	}
	if r.Ended.Before(r.Started) {
		return Record{}, fmt.Errorf("ends before it starts")
	}
	if r.Caller == "" {
		return Record{}, fmt.Errorf("has no caller (src)")
	}
	switch strings.ToUpper(strings.TrimSpace(r.Cause)) {
	case "ANSWERED":
		r.Disposition = Answered
		if r.AnsweredAt.IsZero() {
			return Record{}, fmt.Errorf("is ANSWERED with no answer time")
		}
	case "NO ANSWER":
		r.Disposition = NoAnswer
	case "BUSY":
		r.Disposition = Busy
	case "FAILED", "CONGESTION":
		r.Disposition = Failed
	default:
		return Record{}, fmt.Errorf("disposition %q is not ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION", r.Cause)
	}
	if _, err := strconv.Atoi(strings.TrimSpace(f[c.start+3])); err != nil {
		return Record{}, fmt.Errorf("duration %q is not a number", f[c.start+3])
	}
	return r, nil
}

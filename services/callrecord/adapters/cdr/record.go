// Package cdr reads the call detail records that open-source PBXs emit at
// the end of a call, FreeSWITCH's mod_json_cdr JSON and Asterisk's CSV
// (cdr_csv's Master.csv, or cdr_custom's sample mapping), into one Record.
// It does no I/O beyond reading the body it is given.
package cdr

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"helpdesk/contracts/callapi"
)

// Disposition is how a call ended, as the hotline counts it.
type Disposition string

// The dispositions. A call the caller hung up before anyone answered is
// abandoned; one nobody answered before the PBX gave up is no_answer.
const (
	Answered  Disposition = "answered"
	Abandoned Disposition = "abandoned"
	NoAnswer  Disposition = "no_answer"
	Busy      Disposition = "busy"
	Failed    Disposition = "failed"
)

// Record is one call as a PBX reported it.
type Record struct {
	Source  string // "freeswitch" or "asterisk"
	CallID  string // the PBX's id of the call (FreeSWITCH uuid, Asterisk uniqueid)
	Caller  string // the caller's number
	Hotline string // the number called
	// AgentExtension is the extension the call was bridged to, if any.
	AgentExtension string
	Started        time.Time
	AnsweredAt     time.Time // zero when nobody answered
	Ended          time.Time
	Disposition    Disposition
	// Cause is the PBX's own word for the end: a FreeSWITCH hangup cause
	// or an Asterisk disposition.
	Cause string
}

// Key identifies the record for idempotent ingestion: the same CDR posted
// twice has the same key.
func (r Record) Key() string {
	if r.CallID != "" {
		return r.Source + ":" + r.CallID
	}
	sum := sha256.Sum256([]byte(r.Source + "\x00" + r.Caller + "\x00" + r.Hotline + "\x00" +
		r.Started.UTC().Format(time.RFC3339Nano) + "\x00" + r.Ended.UTC().Format(time.RFC3339Nano)))
	return r.Source + ":sha256:" + hex.EncodeToString(sum[:16])
}

// Event is the record as the call.cdr_ingested event keeps it.
func (r Record) Event() callapi.CDRIngested {
	return callapi.CDRIngested{
		CallID: r.CallID, Source: r.Source, Key: r.Key(), Caller: r.Caller, Hotline: r.Hotline,
		AgentExtension: r.AgentExtension, StartedAt: r.Started.UTC(), AnsweredAt: utcOrZero(r.AnsweredAt),
		EndedAt: r.Ended.UTC(), Disposition: string(r.Disposition), Cause: r.Cause,
	}
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

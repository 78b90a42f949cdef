package cdr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"helpdesk/contracts/problem"
)

// ParseFreeSWITCH reads a CDR posted by FreeSWITCH's mod_json_cdr: the
// JSON document itself (Content-Type application/json, the module's
// default), or a form whose cdr field holds it URL-encoded (encode=true,
// application/x-www-form-urlencoded) or in base64 (encode=base64,
// application/x-www-form-base64-encoded). Channel variables may be
// URL-encoded themselves (encode-values, on by default).
//
// The call is the A leg: its uuid, the caller and the number called (from
// the first caller profile, before any transfer). The call counts as
// answered when it was bridged to someone (bridge_epoch), or, on a PBX
// that reports no bridge, when it was answered; a caller who hung up
// before that abandoned the call.
func ParseFreeSWITCH(contentType string, body []byte) (Record, error) {
	doc, err := freeswitchJSON(contentType, body)
	if err != nil {
		return Record{}, err
	}
	var raw struct {
		Variables map[string]string `json:"variables"`
		Callflow  json.RawMessage   `json:"callflow"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return Record{}, invalid("is not a mod_json_cdr document: %v", err)
	}
	vars := map[string]string{}
	for k, v := range raw.Variables {
		if d, err := url.PathUnescape(v); err == nil && utf8.ValidString(d) {
			v = d
		}
		vars[k] = v
	}
	profile, err := firstProfile(raw.Callflow)
	if err != nil {
		return Record{}, err
	}
	r := Record{
		Source:         "freeswitch",
		CallID:         first(vars["uuid"], profile.UUID),
		Caller:         first(profile.CallerIDNumber, vars["caller_id_number"], vars["ani"], vars["sip_from_user"]),
		Hotline:        first(profile.DestinationNumber, vars["destination_number"], vars["sip_to_user"]),
		AgentExtension: channelUser(vars["bridge_channel"]),
		Cause:          vars["hangup_cause"],
	}
	if r.CallID == "" {
		return Record{}, invalid("has no call uuid (variables.uuid)")
	}
	if r.Started, err = epoch(vars, "start_epoch", true); err != nil {
		return Record{}, err
	}
	if r.Ended, err = epoch(vars, "end_epoch", true); err != nil {
		return Record{}, err
	}
	answered := "answer_epoch"
	if _, ok := vars["bridge_epoch"]; ok {
		answered = "bridge_epoch"
	}
	if r.AnsweredAt, err = epoch(vars, answered, false); err != nil {
		return Record{}, err
	}
	r.Disposition = freeswitchDisposition(r, vars["hangup_cause"])
	return r, nil
}

// freeswitchJSON takes the JSON document out of the body.
func freeswitchJSON(contentType string, body []byte) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-www-form-urlencoded", "application/x-www-form-base64-encoded":
		field, ok := bytes.CutPrefix(bytes.TrimSpace(body), []byte("cdr="))
		if !ok {
			return nil, invalid("form has no cdr field")
		}
		if mt == "application/x-www-form-base64-encoded" {
			doc, err := base64.StdEncoding.DecodeString(strings.TrimRight(string(field), "\x00"))
			if err != nil {
				return nil, invalid("cdr field is not base64: %v", err)
			}
			return bytes.TrimRight(doc, "\x00"), nil
		}
		doc, err := url.QueryUnescape(string(field))
		if err != nil {
			return nil, invalid("cdr field is not URL-encoded: %v", err)
		}
		return []byte(doc), nil
	case "", "application/json", "text/json":
		return body, nil
	}
	return nil, problem.New(problem.CodeInvalidArgument, "a FreeSWITCH CDR is JSON or a form, not %s", mt)
}

type callerProfile struct {
	CallerIDNumber    string `json:"caller_id_number"`
	DestinationNumber string `json:"destination_number"`
	UUID              string `json:"uuid"`
}

// firstProfile reads the caller profile the call began with. Older
// FreeSWITCH writes one "callflow" key per profile, the newest first (a
// JSON decoder keeps the last, the first profile); newer versions write an
// array in the same order.
func firstProfile(callflow json.RawMessage) (callerProfile, error) {
	type flow struct {
		CallerProfile callerProfile `json:"caller_profile"`
	}
	callflow = bytes.TrimSpace(callflow)
	if len(callflow) == 0 {
		return callerProfile{}, nil
	}
	if callflow[0] == '[' {
		var flows []flow
		if err := json.Unmarshal(callflow, &flows); err != nil {
			return callerProfile{}, invalid("callflow: %v", err)
		}
		if len(flows) == 0 {
			return callerProfile{}, nil
		}
		return unescapeProfile(flows[len(flows)-1].CallerProfile), nil
	}
	var f flow
	if err := json.Unmarshal(callflow, &f); err != nil {
		return callerProfile{}, invalid("callflow: %v", err)
	}
	return unescapeProfile(f.CallerProfile), nil
}

func unescapeProfile(p callerProfile) callerProfile {
	for _, s := range []*string{&p.CallerIDNumber, &p.DestinationNumber, &p.UUID} {
		if d, err := url.PathUnescape(*s); err == nil && utf8.ValidString(d) {
			*s = d
		}
	}
	return p
}

// epoch reads a variable of seconds since 1970, up to the end of the year
// 9999 (the last a record's JSON can hold); 0 or absent is the zero time,
// which a required variable may not be.
func epoch(vars map[string]string, name string, required bool) (time.Time, error) {
	var s int64
	if v := vars[name]; v != "" {
		var err error
		if s, err = strconv.ParseInt(v, 10, 64); err != nil || s < 0 || s > maxEpoch {
			return time.Time{}, invalid("%s %q is not seconds since 1970 (up to the year 9999)", name, v)
		}
	}
	if s == 0 {
		if required {
			return time.Time{}, invalid("has no %s", name)
		}
		return time.Time{}, nil
	}
	return time.Unix(s, 0).UTC(), nil
}

// maxEpoch is 9999-12-31 23:59:59 UTC in seconds since 1970.
const maxEpoch = 253402300799

// freeswitchDisposition maps a call's answer and hangup cause.
func freeswitchDisposition(r Record, cause string) Disposition {
	switch {
	case !r.AnsweredAt.IsZero():
		return Answered
	case cause == "ORIGINATOR_CANCEL" || cause == "NORMAL_CLEARING":
		return Abandoned // the caller hung up first
	case cause == "NO_ANSWER" || cause == "NO_USER_RESPONSE" || cause == "ALLOTTED_TIMEOUT":
		return NoAnswer
	case cause == "USER_BUSY":
		return Busy
	}
	return Failed
}

// channelUser is the user of a channel name: 1001 in
// "sofia/internal/1001@10.0.0.5", "user/1001@domain" or "SIP/1001-0000002a".
func channelUser(channel string) string {
	i := strings.LastIndexByte(channel, '/')
	if i < 0 {
		return ""
	}
	user := channel[i+1:]
	if at := strings.IndexByte(user, '@'); at >= 0 {
		return user[:at]
	}
	if dash := strings.LastIndexByte(user, '-'); dash > 0 {
		return user[:dash]
	}
	return user
}

// first is the first non-empty value.
func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// invalid is a 400 problem about a CDR.
func invalid(format string, args ...any) error {
	return problem.New(problem.CodeInvalidArgument, "the CDR "+format, args...)
}

package telemetry

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"

	"helpdesk/infra/pii"
)

// personKeys and phoneKeys are the attribute keys whose whole value is a
// person's name or a phone number, whatever it looks like.
var (
	personKeys = map[string]bool{
		"name": true, "display_name": true, "displayname": true, "full_name": true, "real_name": true,
		"requester_name": true, "customer_name": true, "agent_name": true, "contact_name": true,
	}
	phoneKeys = map[string]bool{
		"phone": true, "phone_number": true, "mobile": true, "tel": true, "telephone": true,
		"caller": true, "callee": true, "caller_number": true, "callee_number": true, "contact_phone": true,
	}
)

// MaskHandler wraps h so that no record it writes shows personal data:
// phone numbers in the message or in any string (an error's text, a
// value's JSON) become 138****5678, and the values of attributes named
// like a name (name, display_name, ...) or a phone number (phone,
// caller, ...) are masked whole. Keys are compared in lower case.
func MaskHandler(h slog.Handler) slog.Handler { return maskHandler{h} }

type maskHandler struct{ slog.Handler }

func (h maskHandler) Handle(ctx context.Context, r slog.Record) error {
	masked := slog.NewRecord(r.Time, r.Level, pii.MaskPhones(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		masked.AddAttrs(maskAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, masked)
}

func (h maskHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = maskAttr(a)
	}
	return maskHandler{h.Handler.WithAttrs(masked)}
}

func (h maskHandler) WithGroup(name string) slog.Handler {
	return maskHandler{h.Handler.WithGroup(name)}
}

// maskAttr masks one attribute, and the attributes of a group.
func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	key := strings.ToLower(a.Key)
	switch {
	case v.Kind() == slog.KindGroup:
		group := v.Group()
		masked := make([]slog.Attr, len(group))
		for i, g := range group {
			masked[i] = maskAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(masked...)}
	case phoneKeys[key]:
		return slog.String(a.Key, pii.MaskPhone(v.String()))
	case personKeys[key]:
		return slog.String(a.Key, pii.MaskName(v.String()))
	case v.Kind() == slog.KindString:
		return slog.String(a.Key, pii.MaskPhones(v.String()))
	case v.Kind() == slog.KindAny:
		return slog.Attr{Key: a.Key, Value: maskAny(v.Any())}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// maskAny masks the phone numbers in an error's text, or in a value's JSON
// (which the JSON handler would write).
func maskAny(x any) slog.Value {
	if err, ok := x.(error); ok {
		if text := err.Error(); pii.MaskPhones(text) != text {
			return slog.StringValue(pii.MaskPhones(text))
		}
		return slog.AnyValue(x)
	}
	raw, err := json.Marshal(x)
	if err != nil {
		return slog.AnyValue(x)
	}
	if masked := pii.MaskPhones(string(raw)); masked != string(raw) {
		return slog.AnyValue(json.RawMessage(masked))
	}
	return slog.AnyValue(x)
}

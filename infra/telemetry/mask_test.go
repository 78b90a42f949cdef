package telemetry_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"helpdesk/infra/telemetry"
)

func TestNewLogger_masks_personal_data(t *testing.T) {
	t.Parallel()
	type call struct {
		Caller string `json:"caller_id"`
		Note   string `json:"note"`
	}
	tests := []struct {
		name   string
		log    func(*slog.Logger)
		want   map[string]any
		absent []string
	}{
		{"phone in the message", func(l *slog.Logger) { l.Info("callback to 13812345678 failed") },
			map[string]any{"msg": "callback to 138****5678 failed"}, []string{"13812345678"}},
		{"phone in a string attribute", func(l *slog.Logger) { l.Info("call", "detail", "from 010-87654321") },
			map[string]any{"detail": "from 010-****4321"}, []string{"87654321"}},
		{"phone-named attribute, whole value", func(l *slog.Logger) { l.Info("call", "Caller", "+86 139 1234 5678", "phone", 13812345678) },
			map[string]any{"Caller": "+86 139 **** 5678", "phone": "138****5678"}, []string{"1234 5678", "13812345678"}},
		{"name-named attributes", func(l *slog.Logger) { l.Info("user", "display_name", "张三丰", "name", "Alice") },
			map[string]any{"display_name": "张**", "name": "A****"}, []string{"三丰", "Alice"}},
		{"error text", func(l *slog.Logger) {
			l.Error("failed", "error", fmt.Errorf("dial 13712345678: %w", errors.New("busy")))
		},
			map[string]any{"error": "dial 137****5678: busy"}, []string{"13712345678"}},
		{"a value's JSON", func(l *slog.Logger) { l.Info("call", "call", call{Caller: "13612345678", Note: "ok"}) },
			map[string]any{"call": map[string]any{"caller_id": "136****5678", "note": "ok"}}, []string{"13612345678"}},
		{"attributes added to the logger and in groups", func(l *slog.Logger) {
			l.With("phone", "13512345678").WithGroup("req").Info("x", slog.Group("user", "name", "Bob"))
		}, map[string]any{"phone": "135****5678", "req": map[string]any{"user": map[string]any{"name": "B**"}}}, []string{"13512345678", "Bob"}},
		{"ids and other numbers stay", func(l *slog.Logger) {
			l.Info("ok", "request_id", "0193a1b2-13812345678x", "count", 13812345678, "route", "/api/v1/tickets")
		}, map[string]any{"request_id": "0193a1b2-13812345678x", "count": float64(13812345678)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			tt.log(telemetry.NewLogger(&buf, slog.LevelInfo))
			line := buf.String()
			var got map[string]any
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			for k, want := range tt.want {
				if g, _ := json.Marshal(got[k]); string(g) != mustJSON(t, want) {
					t.Errorf("%s = %s, want %s (line %s)", k, g, mustJSON(t, want), line)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(line, s) {
					t.Errorf("log line shows %q: %s", s, line)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package phone_test

import (
	"testing"

	"helpdesk/services/callrecord/domain/phone"
)

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"+8613812345678", "+86138****5678"},
		{"+86 138 1234 5678", "+86 138 **** 5678"},
		{"008613812345678", "0086138****5678"},
		{"010-12345678", "010-****5678"},
		{"4001234567", "400***4567"},
		{"1234567", "*****67"},
		{"12315", "***15"},
		{"110", "110"},
		{"", ""},
		{"anonymous", "anonymous"},
	}
	for _, tt := range tests {
		if got := phone.Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

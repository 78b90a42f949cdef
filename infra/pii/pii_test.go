package pii_test

import (
	"testing"

	"helpdesk/infra/pii"
)

func TestMaskPhone(t *testing.T) {
	t.Parallel()
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
		if got := pii.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskPhones(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"mobile alone", "13812345678", "138****5678"},
		{"mobile in Chinese text", "客户电话13812345678，请回电", "客户电话138****5678，请回电"},
		{"two numbers", "from 13812345678 to 010-87654321", "from 138****5678 to 010-****4321"},
		{"landline without dash", "call 075512345678 now", "call 075*****5678 now"},
		{"country code", "caller=+86 13912345678", "caller=+86 139****5678"},
		{"country code without plus", "caller_id_number=8613912345678", "caller_id_number=861******5678"},
		{"inside a hex id", "trace 4bf92f13812345678b34da6a", "trace 4bf92f13812345678b34da6a"},
		{"a longer number", "order 138123456789", "order 138123456789"},
		{"not a mobile prefix", "count 12012345678", "count 12012345678"},
		{"short numbers", "ticket 12345 took 600ms", "ticket 12345 took 600ms"},
		{"no digits", "plain message", "plain message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := pii.MaskPhones(tt.in); got != tt.want {
				t.Errorf("MaskPhones(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"张三丰", "张**"},
		{"Alice", "A****"},
		{"李", "*"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := pii.MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

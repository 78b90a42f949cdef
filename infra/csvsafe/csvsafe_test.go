package csvsafe_test

import (
	"testing"

	"helpdesk/infra/csvsafe"
)

func TestText(t *testing.T) {
	tests := map[string]string{
		"账号与登录": "账号与登录", "=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "-2+3": "'-2+3",
		"@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "": "", "a=b": "a=b",
	}
	for in, want := range tests {
		if got := csvsafe.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

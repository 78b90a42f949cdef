package kb_test

import (
	"testing"

	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/knowledge/domain/kb"
)

// TestRoles_supervisor_and_auditor pins the knowledge base's share of the
// authorization matrix for the roles it added: supervisors manage
// categories and articles; auditors read published articles only, and
// write nothing.
func TestRoles_supervisor_and_auditor(t *testing.T) {
	supervisor := kb.Actor{ID: "u-sup", Role: "supervisor"}
	auditor := kb.Actor{ID: "u-aud", Role: "auditor"}
	content := kbapi.Content{Title: "重置密码", Body: "点击忘记密码", CategoryID: "c1"}
	tests := []struct {
		name string
		run  func() error
		want problem.Code
	}{
		{"supervisor creates a category", func() error { _, err := kb.CreateCategory(supervisor, "账号", "", false); return err }, ""},
		{"auditor creates a category", func() error { _, err := kb.CreateCategory(auditor, "账号", "", false); return err }, problem.CodePermissionDenied},
		{"supervisor drafts", func() error { _, err := kb.Draft(supervisor, content, true, nil); return err }, ""},
		{"auditor drafts", func() error { _, err := kb.Draft(auditor, content, true, nil); return err }, problem.CodePermissionDenied},
		{"supervisor publishes", func() error { _, err := article(t, drafted).Publish(supervisor); return err }, ""},
		{"auditor publishes", func() error { _, err := article(t, drafted).Publish(auditor); return err }, problem.CodePermissionDenied},
		{"auditor archives", func() error {
			_, err := article(t, drafted, kbapi.ArticlePublished{}).Archive(auditor, "")
			return err
		}, problem.CodePermissionDenied},
		{"auditor votes", func() error {
			f, _ := kb.FeedbackFromEvents(nil)
			_, err := f.Vote(auditor, true, true)
			return err
		}, problem.CodePermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(tt.run()); got != tt.want {
				t.Fatalf("code %q, want %q", got, tt.want)
			}
		})
	}
	if article(t, drafted).CanRead(auditor) || !article(t, drafted).CanRead(supervisor) {
		t.Error("drafts are for staff: supervisors read them, auditors do not")
	}
}

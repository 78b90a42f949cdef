package kb_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/knowledge/domain/kb"
)

var (
	admin    = kb.Actor{ID: "u-admin", Role: "admin"}
	agent    = kb.Actor{ID: "u-agent", Role: "agent"}
	customer = kb.Actor{ID: "u-cust", Role: "customer"}
	system   = kb.SystemActor("test")
)

// history turns payloads into stored envelopes of one aggregate.
func history(t *testing.T, typ, id string, ps ...events.Payload) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, p := range ps {
		env, err := events.New(kbapi.Source, typ, id, p, at.Add(time.Duration(i)*time.Minute), events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		env.AggregateVersion = uint64(i + 1)
		out = append(out, env)
	}
	return out
}

func code(err error) problem.Code {
	var pe *problem.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	if err == nil {
		return ""
	}
	return "other"
}

func article(t *testing.T, ps ...events.Payload) *kb.Article {
	t.Helper()
	a, err := kb.ArticleFromEvents(history(t, "article", "a1", ps...))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var drafted = kbapi.ArticleDrafted{Content: kbapi.Content{Title: "打印机无法连接网络", Body: "重启路由器", CategoryID: "c1", Tags: []string{"打印机"}}, Author: "u-agent"}

func TestDraft(t *testing.T) {
	long := strings.Repeat("长", kb.MaxTitle+1)
	tests := []struct {
		name     string
		actor    kb.Actor
		content  kbapi.Content
		catFound bool
		want     problem.Code
	}{
		{"agent drafts", agent, kbapi.Content{Title: " VPN 连不上 ", Body: "", Tags: []string{"vpn", " vpn ", "网络"}}, false, ""},
		{"system drafts", system, kbapi.Content{Title: "x"}, false, ""},
		{"customer cannot", customer, kbapi.Content{Title: "x"}, false, problem.CodePermissionDenied},
		{"title required", agent, kbapi.Content{Title: "  "}, false, problem.CodeValidation},
		{"title too long", agent, kbapi.Content{Title: long}, false, problem.CodeValidation},
		{"unknown category", agent, kbapi.Content{Title: "x", CategoryID: "nope"}, false, problem.CodeValidation},
		{"empty tag", agent, kbapi.Content{Title: "x", Tags: []string{" "}}, false, problem.CodeValidation},
		{"control character", agent, kbapi.Content{Title: "a\x00b"}, false, problem.CodeValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := kb.Draft(tt.actor, tt.content, tt.catFound, nil)
			if code(err) != tt.want {
				t.Fatalf("error %v, want code %q", err, tt.want)
			}
			if err != nil {
				return
			}
			d := evs[0].(kbapi.ArticleDrafted)
			if d.Title != strings.TrimSpace(tt.content.Title) || d.Author != tt.actor.ID || d.Tags == nil {
				t.Fatalf("drafted %+v", d)
			}
		})
	}
	evs, _ := kb.Draft(agent, kbapi.Content{Title: "x", Tags: []string{"vpn", " vpn ", "网络"}}, false, nil)
	if got := evs[0].(kbapi.ArticleDrafted).Tags; strings.Join(got, ",") != "vpn,网络" {
		t.Fatalf("tags %q, want trimmed and deduplicated", got)
	}
}

func TestArticle_life_cycle(t *testing.T) {
	noCat := drafted
	noCat.CategoryID = ""
	tests := []struct {
		name    string
		history []events.Payload
		do      func(a *kb.Article) ([]events.Payload, error)
		want    problem.Code
		status  string
	}{
		{"publish draft", []events.Payload{drafted}, func(a *kb.Article) ([]events.Payload, error) { return a.Publish(agent) }, "", kbapi.StatusPublished},
		{"customer cannot publish", []events.Payload{drafted}, func(a *kb.Article) ([]events.Payload, error) { return a.Publish(customer) }, problem.CodePermissionDenied, kbapi.StatusDraft},
		{"system cannot publish", []events.Payload{drafted}, func(a *kb.Article) ([]events.Payload, error) { return a.Publish(system) }, problem.CodePermissionDenied, kbapi.StatusDraft},
		{"publish needs a category", []events.Payload{noCat}, func(a *kb.Article) ([]events.Payload, error) { return a.Publish(agent) }, problem.CodeValidation, kbapi.StatusDraft},
		{"publish twice", []events.Payload{drafted, kbapi.ArticlePublished{}}, func(a *kb.Article) ([]events.Payload, error) { return a.Publish(agent) }, problem.CodeConflict, kbapi.StatusPublished},
		{"archive published", []events.Payload{drafted, kbapi.ArticlePublished{}}, func(a *kb.Article) ([]events.Payload, error) { return a.Archive(admin, "过时") }, "", kbapi.StatusArchived},
		{"archive twice", []events.Payload{drafted, kbapi.ArticleArchived{}}, func(a *kb.Article) ([]events.Payload, error) { return a.Archive(admin, "") }, problem.CodeConflict, kbapi.StatusArchived},
		{"restore archived", []events.Payload{drafted, kbapi.ArticlePublished{}, kbapi.ArticleArchived{}}, func(a *kb.Article) ([]events.Payload, error) { return a.Publish(agent) }, "", kbapi.StatusPublished},
		{"edit archived", []events.Payload{drafted, kbapi.ArticleArchived{}}, func(a *kb.Article) ([]events.Payload, error) {
			b := "新"
			return a.Edit(agent, kb.Patch{Body: &b}, false)
		}, problem.CodeConflict, kbapi.StatusArchived},
		{"published keeps its answer", []events.Payload{drafted, kbapi.ArticlePublished{}}, func(a *kb.Article) ([]events.Payload, error) {
			b := " "
			return a.Edit(agent, kb.Patch{Body: &b}, false)
		}, problem.CodeValidation, kbapi.StatusPublished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := article(t, tt.history...)
			_, err := tt.do(a)
			if code(err) != tt.want {
				t.Fatalf("error %v, want code %q", err, tt.want)
			}
			if a.Status() != tt.status {
				t.Fatalf("status %s, want %s", a.Status(), tt.status)
			}
		})
	}
}

func TestArticle_Edit_records_whole_versions(t *testing.T) {
	a := article(t, drafted)
	title := "打印机无法连接 Wi-Fi 网络"
	evs, err := a.Edit(agent, kb.Patch{Title: &title}, false)
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0].(kbapi.ArticleEdited)
	if e.ContentVersion != 2 || e.Title != title || e.Body != drafted.Body || e.CategoryID != "c1" || e.Editor != agent.ID {
		t.Fatalf("edited %+v", e)
	}
	if evs, err := a.Edit(agent, kb.Patch{Title: &title}, false); err != nil || len(evs) != 0 {
		t.Fatalf("same edit again: %v %v, want nothing recorded", evs, err)
	}
	other := "c2"
	if _, err := a.Edit(agent, kb.Patch{CategoryID: &other}, false); code(err) != problem.CodeValidation {
		t.Fatalf("moving to a missing category: %v", err)
	}
	if _, err := a.Edit(customer, kb.Patch{Title: &title}, false); code(err) != problem.CodePermissionDenied {
		t.Fatalf("customer edit: %v", err)
	}
}

func TestArticle_CanRead(t *testing.T) {
	draft := article(t, drafted)
	pub := article(t, drafted, kbapi.ArticlePublished{})
	if draft.CanRead(customer) || !draft.CanRead(agent) || !pub.CanRead(customer) {
		t.Fatal("customers read published articles only; staff read all")
	}
}

func TestCategory(t *testing.T) {
	if _, err := kb.CreateCategory(agent, "账号与登录", "", false); code(err) != problem.CodePermissionDenied {
		t.Fatalf("agent creates category: %v", err)
	}
	if _, err := kb.CreateCategory(admin, "", "", false); code(err) != problem.CodeValidation {
		t.Fatalf("empty name: %v", err)
	}
	if _, err := kb.CreateCategory(admin, "子类", "p", false); code(err) != problem.CodeValidation {
		t.Fatalf("missing parent: %v", err)
	}
	c, err := kb.CategoryFromEvents(history(t, "category", "c1", kbapi.CategoryCreated{Name: "课程学习", ParentID: "root"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		parent string
		path   []string
		want   problem.Code
		events int
	}{
		{"same parent", "root", nil, "", 0},
		{"to top level", "", nil, "", 1},
		{"under itself", "c1", nil, problem.CodeConflict, 0},
		{"under a descendant", "c3", []string{"c3", "c2", "c1", "root"}, problem.CodeConflict, 0},
		{"under a sibling", "c9", []string{"c9", "root"}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := kb.CategoryFromEvents(history(t, "category", "c1", kbapi.CategoryCreated{Name: "课程学习", ParentID: "root"}))
			evs, err := c.Move(admin, tt.parent, true, tt.path)
			if code(err) != tt.want || len(evs) != tt.events {
				t.Fatalf("move: %v %v", evs, err)
			}
		})
	}
	evs, err := c.Rename(admin, " 课程与学习 ")
	if err != nil || evs[0].(kbapi.CategoryRenamed).Name != "课程与学习" || evs[0].(kbapi.CategoryRenamed).PreviousName != "课程学习" {
		t.Fatalf("rename: %v %v", evs, err)
	}
	if c.View().Name != "课程与学习" {
		t.Fatalf("view after rename: %+v", c.View())
	}
}

func TestFeedback_Vote(t *testing.T) {
	f, _ := kb.FeedbackFromEvents(nil)
	steps := []struct {
		actor     kb.Actor
		helpful   bool
		published bool
		want      problem.Code
		events    int
	}{
		{customer, true, false, problem.CodeConflict, 0},
		{customer, true, true, "", 1},
		{customer, true, true, "", 0}, // the same vote again
		{customer, false, true, "", 1},
		{agent, true, true, "", 1},
		{system, true, true, problem.CodePermissionDenied, 0},
		{kb.Actor{}, true, true, problem.CodePermissionDenied, 0},
	}
	for i, s := range steps {
		evs, err := f.Vote(s.actor, s.helpful, s.published)
		if code(err) != s.want || len(evs) != s.events {
			t.Fatalf("step %d: %v %v", i, evs, err)
		}
	}
	f.CountViews(3, time.Now())
	f.CountViews(0, time.Now())
	if got := f.Counts(); got != (kbapi.Feedback{Helpful: 1, NotHelpful: 1, Views: 3}) {
		t.Fatalf("counts %+v", got)
	}
}

func TestScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{"请联系我 13812345678 谢谢", "请联系我 [已隐去] 谢谢"},
		{"电话 +86 138-1234-5678", "电话 [已隐去]"},
		{"座机 010-62345678", "座机 [已隐去]"},
		{"邮箱 zhang.san@example.com.cn", "邮箱 [已隐去]"},
		{"身份证11010519491231002X已核实", "身份证[已隐去]已核实"},
		{"QQ：12345678 或 微信号 wx_zhang", "QQ：[已隐去] 或 微信号 [已隐去]"},
		{"我的电脑 IP 是 192.168.1.20", "我的电脑 IP 是 [已隐去]"},
		{"银行卡 6222020200112233445", "银行卡 [已隐去]"},
		{"张三的打印机坏了，张三很急", "[已隐去]的打印机坏了，[已隐去]很急"},
		{"Windows 10 升级到 22H2 后 VPN 2.3.1 连不上", "Windows 10 升级到 22H2 后 VPN 2.3.1 连不上"},
	}
	for _, tt := range tests {
		if got := kb.Scrub(tt.in, "张三", "z"); got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDraftFromSource(t *testing.T) {
	evs, err := kb.DraftFromSource(system, kb.SourceText{
		Source:   kbapi.ArticleSource{Kind: kbapi.SourceTicket, ID: "t1"},
		Question: "李雷的打印机无法连接网络",
		Details:  "我是李雷，电话 13812345678，打印机连不上 Wi-Fi",
		Answer:   "在打印机面板上重新选择 Wi-Fi 并输入密码。已电话告知李雷。",
		Names:    []string{"李雷", "lilei"},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := evs[0].(kbapi.ArticleDrafted)
	for _, leak := range []string{"李雷", "13812345678"} {
		if strings.Contains(d.Title+d.Body, leak) {
			t.Fatalf("draft leaks %q: %+v", leak, d)
		}
	}
	if d.Source == nil || d.Source.ID != "t1" || !strings.Contains(d.Body, "## 解决方法") || !strings.Contains(d.Body, "重新选择 Wi-Fi") {
		t.Fatalf("draft %+v", d)
	}
}

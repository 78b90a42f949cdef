package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// items returns the "items" array of a response.
func items(r response) []map[string]any {
	var out []map[string]any
	list, _ := r.Body["items"].([]any)
	for _, it := range list {
		out = append(out, it.(map[string]any))
	}
	return out
}

func hasItem(r response, id string) bool {
	for _, it := range items(r) {
		if it["id"] == id {
			return true
		}
	}
	return false
}

// TestKnowledge_resolved_ticket_becomes_a_suggested_article is the problem
// library's loop: a resolved ticket becomes a draft without the
// requester's personal data, an agent publishes it, and it is suggested to
// the next customer who asks something similar.
func TestKnowledge_resolved_ticket_becomes_a_suggested_article(t *testing.T) {
	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)

	hw := a.admin.must(http.StatusCreated, "POST", "/api/v1/kb/categories", map[string]any{"name": "系统故障"})
	printers := a.admin.must(http.StatusCreated, "POST", "/api/v1/kb/categories", map[string]any{"name": "打印机", "parent_id": hw.str("id")})

	ticket := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{
		"title": "打印机无法连接网络", "category": "打印机",
		"description": "办公室的打印机连不上 Wi-Fi，请回电 13812345678。",
	})
	tid := ticket.str("id")
	a.agent.must(http.StatusOK, "POST", "/api/v1/tickets/"+tid+"/resolve", map[string]any{
		"resolution": "在打印机面板上重新选择 Wi-Fi 并输入密码后恢复。",
	})

	var draft map[string]any
	eventually(t, 10*time.Second, "a draft from the resolved ticket", func() bool {
		list := a.agent.must(http.StatusOK, "GET", "/api/v1/kb/articles?source_ticket="+tid, nil)
		if its := items(list); len(its) == 1 {
			draft = its[0]
			return true
		}
		return false
	})
	if draft["status"] != "draft" || draft["category_id"] != printers.str("id") {
		t.Fatalf("draft %v: want status draft in category %s", draft, printers.str("id"))
	}
	path := "/api/v1/kb/articles/" + draft["id"].(string)
	full := a.agent.must(http.StatusOK, "GET", path, nil)
	if body := full.str("body"); strings.Contains(body, "13812345678") || !strings.Contains(body, "重新选择 Wi-Fi") {
		t.Fatalf("draft body %q: want the resolution without the phone number", body)
	}
	// Drafts are not for customers, and nothing is published by itself;
	// publishing is refused to customers whatever the article.
	a.customer.must(http.StatusNotFound, "GET", path, nil)
	a.customer.must(http.StatusForbidden, "POST", path+"/publish", nil)

	edited := a.agent.must(http.StatusOK, "PATCH", path, map[string]any{"tags": []string{"打印机", "Wi-Fi"}},
		"If-Match", full.Header.Get("ETag"))
	a.agent.must(http.StatusPreconditionFailed, "POST", path+"/publish", nil, "If-Match", full.Header.Get("ETag"))
	a.agent.must(http.StatusOK, "POST", path+"/publish", nil, "If-Match", edited.Header.Get("ETag"))

	versions := a.agent.must(http.StatusOK, "GET", path+"/versions", nil)
	if vs := versions.Body["versions"].([]any); len(vs) != 2 || !strings.Contains(vs[1].(map[string]any)["diff"].(string), "+tags: 打印机, Wi-Fi") {
		t.Fatalf("versions %s", versions.Raw)
	}

	// A new customer types a similar question.
	var sug response
	eventually(t, 10*time.Second, "the published article in suggestions", func() bool {
		sug = a.other.must(http.StatusOK, "GET", "/api/v1/kb/suggestions?q="+url.QueryEscape("打印机连不上网络"), nil)
		return hasItem(sug, draft["id"].(string))
	})
	for _, it := range items(sug) {
		if it["id"] == draft["id"] && it["kind"] != "article" {
			t.Errorf("article suggested as %v", it["kind"])
		}
		if it["id"] == tid && it["kind"] != "question" {
			t.Errorf("answered question suggested as %v", it["kind"])
		}
		if strings.Contains(fmt.Sprint(it), "13812345678") {
			t.Errorf("suggestion leaks the phone number: %v", it)
		}
	}
	facets := sug.Body["facets"].(map[string]any)["category"].([]any)
	if len(facets) == 0 || facets[0].(map[string]any)["name"] != "打印机" {
		t.Errorf("suggestion facets %v: want the category 打印机 first", facets)
	}

	search := a.other.must(http.StatusOK, "GET", "/api/v1/kb/search?q="+url.QueryEscape("网络连接"), nil)
	if !hasItem(search, draft["id"].(string)) || !strings.Contains(items(search)[0]["snippet"].(string), "<mark>") {
		t.Fatalf("search: %s", search.Raw)
	}

	// Readers vote; a second vote by the same reader replaces the first.
	a.other.must(http.StatusOK, "POST", path+"/vote", map[string]any{"helpful": false})
	fb := a.other.must(http.StatusOK, "POST", path+"/vote", map[string]any{"helpful": true})
	if fb.Body["helpful"] != 1.0 || fb.Body["not_helpful"] != 0.0 {
		t.Fatalf("feedback %s", fb.Raw)
	}
	eventually(t, 5*time.Second, "votes in the catalog", func() bool {
		r := a.other.must(http.StatusOK, "GET", path, nil)
		f, _ := r.Body["feedback"].(map[string]any)
		return f["helpful"] == 1.0 && f["not_helpful"] == 0.0
	})

	// Archived articles leave search.
	a.agent.must(http.StatusOK, "POST", path+"/archive", map[string]any{"reason": "型号已停产"})
	eventually(t, 10*time.Second, "the archived article out of search", func() bool {
		r := a.other.must(http.StatusOK, "GET", "/api/v1/kb/search?q="+url.QueryEscape("打印机"), nil)
		return !hasItem(r, draft["id"].(string))
	})
	a.other.must(http.StatusNotFound, "GET", path, nil)
}

func TestKnowledge_categories_and_bad_input(t *testing.T) {
	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)

	root := a.admin.must(http.StatusCreated, "POST", "/api/v1/kb/categories", map[string]any{"name": "课程学习"})
	child := a.admin.must(http.StatusCreated, "POST", "/api/v1/kb/categories", map[string]any{"name": "视频播放", "parent_id": root.str("id")})
	if fmt.Sprint(child.Body["path"]) != "[课程学习 视频播放]" {
		t.Errorf("new category's path %v", child.Body["path"])
	}
	a.agent.must(http.StatusForbidden, "POST", "/api/v1/kb/categories", map[string]any{"name": "x"})
	a.admin.must(http.StatusUnprocessableEntity, "POST", "/api/v1/kb/categories", map[string]any{"name": "x", "parent_id": "missing"})
	// A category cannot move under its own descendant.
	a.admin.must(http.StatusConflict, "PATCH", "/api/v1/kb/categories/"+root.str("id"), map[string]any{"parent_id": child.str("id")})
	renamed := a.admin.must(http.StatusOK, "PATCH", "/api/v1/kb/categories/"+root.str("id"), map[string]any{"name": "课程与学习"},
		"If-Match", root.Header.Get("ETag"))
	a.admin.must(http.StatusPreconditionFailed, "PATCH", "/api/v1/kb/categories/"+root.str("id"), map[string]any{"name": "又改"},
		"If-Match", root.Header.Get("ETag"))

	art := a.agent.must(http.StatusCreated, "POST", "/api/v1/kb/articles", map[string]any{
		"title": "视频一直转圈", "body": "<script>alert(1)</script>\n\n清除缓存后重试。", "category_id": child.str("id"),
	})
	if !strings.Contains(art.str("body"), "<script>alert(1)</script>") {
		t.Fatalf("Markdown body not stored verbatim: %q", art.str("body"))
	}
	a.customer.must(http.StatusForbidden, "POST", "/api/v1/kb/articles", map[string]any{"title": "x"})
	a.agent.must(http.StatusOK, "POST", "/api/v1/kb/articles/"+art.str("id")+"/publish", nil)

	eventually(t, 10*time.Second, "the category tree with the renamed parent", func() bool {
		tree := a.customer.must(http.StatusOK, "GET", "/api/v1/kb/categories", nil)
		for _, c := range items(tree) {
			if c["id"] == child.str("id") {
				return fmt.Sprint(c["path"]) == "[课程与学习 视频播放]" && c["published_articles"] == 1.0
			}
		}
		return false
	})
	_ = renamed
	// Searching the parent category finds articles of its children.
	eventually(t, 10*time.Second, "search within the parent category", func() bool {
		r := a.customer.must(http.StatusOK, "GET", "/api/v1/kb/search?q="+url.QueryEscape("视频")+"&category="+root.str("id"), nil)
		return hasItem(r, art.str("id"))
	})

	long := strings.Repeat("打", 10000)
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"q=", http.StatusBadRequest},
		{"", http.StatusBadRequest},
		{"q=" + url.QueryEscape(long), http.StatusBadRequest},
		{"q=" + strings.Repeat("a", 10000), http.StatusBadRequest},
		{"q=" + url.QueryEscape("title:*"), http.StatusOK},
		{"q=" + url.QueryEscape(`"unbalanced`), http.StatusOK},
		{"q=" + url.QueryEscape("？！。，,.!"), http.StatusOK},
		{"q=" + url.QueryEscape("+-&&||!(){}[]^~*?:\\/"), http.StatusOK},
		{"q=ok&limit=0", http.StatusUnprocessableEntity},
		{"q=ok&limit=abc", http.StatusBadRequest},
		{"q=ok&cursor=bogus", http.StatusBadRequest},
		{"q=ok&category=missing", http.StatusBadRequest},
		{"q=%ff%fe", http.StatusBadRequest},
	} {
		for _, path := range []string{"/api/v1/kb/search?", "/api/v1/kb/suggestions?"} {
			if strings.Contains(tc.query, "cursor") && strings.Contains(path, "suggestions") {
				continue
			}
			r := a.customer.do("GET", path+tc.query, nil)
			if r.Status != tc.status {
				t.Errorf("GET %s%.60s: status %d, want %d: %.200s", path, tc.query, r.Status, tc.status, r.Raw)
			}
			if r.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("GET %s%.60s: %s, want application/problem+json", path, tc.query, r.Header.Get("Content-Type"))
			}
			if r.Status == http.StatusOK && len(items(r)) != 0 && strings.ContainsAny(tc.query, "？*") {
				t.Errorf("GET %s%.60s: punctuation found %s", path, tc.query, r.Raw)
			}
		}
	}
}
